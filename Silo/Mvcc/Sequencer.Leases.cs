namespace EtcdOrleans.Mvcc;

/// <summary>Lease grants and revocations, following etcd's lessor Grant and Revoke as the applier runs them.</summary>
public sealed partial class Sequencer
{
    /// <summary>
    /// etcd's LeaseGrant: the server picks a positive id when the client gave none (etcd picks before proposing; here
    /// it is also unused); then a TTL above <see cref="LeaseLimits.MaxTtl"/> fails, an id already granted fails, and a
    /// TTL below the minimum (zero and negative TTLs too) is raised to it. A grant creates no revision.
    /// </summary>
    private Resolution ResolveLeaseGrant(LeaseGrantRequest request)
    {
        var revision = _state.CurrentRevision;
        var id = request.Id;
        while (id == 0)
        {
            id = _leaseIds.NextInt64(1, long.MaxValue);
            if (_state.Leases.Exists(id))
            {
                id = 0;
            }
        }

        if (request.Ttl > LeaseLimits.MaxTtl)
        {
            return Resolution.Failed(MvccError.LeaseTtlTooLarge, revision);
        }

        if (_state.Leases.Exists(id))
        {
            return Resolution.Failed(MvccError.LeaseExists, revision);
        }

        var ttl = Math.Max(request.Ttl, _minLeaseTtl);
        _state.GrantLease(id, ttl);
        var response = new LeaseGrantResponse { Id = id, Ttl = ttl, Revision = revision };
        return Resolution.Succeeded(Effect.LeaseGrant(revision, id, ttl), response, revision);
    }

    /// <summary>
    /// etcd's LeaseRevoke: deletes every key attached to the lease in key order, all at one new revision, and forgets
    /// the lease. A lease without keys goes without a new revision (etcd's write txn ends without changes).
    /// </summary>
    private Resolution ResolveLeaseRevoke(LeaseRevokeRequest request)
    {
        var current = _state.CurrentRevision;
        var lease = _state.Leases.Find(request.Id);
        if (lease is null)
        {
            return Resolution.Failed(MvccError.LeaseNotFound, current);
        }

        var keys = lease.Keys.ToArray();
        var revision = keys.Length == 0 ? current : current + 1;
        var deletes = new KeyChange[keys.Length];
        for (var sub = 0; sub < keys.Length; sub++)
        {
            _state.WriteTombstone(keys[sub], new Revision(revision, sub));
            deletes[sub] = KeyChange.Delete(keys[sub], sub);
        }

        _state.SetCurrentRevision(revision);
        _state.RevokeLease(request.Id);
        return Resolution.Succeeded(Effect.LeaseRevoke(revision, request.Id, deletes), new LeaseRevokeResponse { Revision = revision }, revision);
    }
}
