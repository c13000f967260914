namespace EtcdOrleans.Mvcc;

/// <summary>The lease table of a store of all keys: applied from lease effects, attachments kept by key writes.</summary>
public sealed partial class MvccStore
{
    /// <summary>
    /// The granted leases and their attached keys. Kept only by stores of all keys (<see cref="TracksLeases"/>: the
    /// replicas' applied state and the sequencer's); a store of a key range leaves it empty and applies only the key
    /// deletions of lease revocations.
    /// </summary>
    public LeaseTable Leases { get; private set; } = new();

    /// <summary>True when this store holds every key, and so keeps the lease table.</summary>
    public bool TracksLeases => OwnedRange.Start.Length == 0 && OwnedRange.End is null;

    /// <summary>Changes the lease table for a lease effect (its key deletions, if any, are already applied).</summary>
    private bool ApplyLeaseEffect(Effect effect)
    {
        if (!TracksLeases)
        {
            return false;
        }

        return effect.Kind switch
        {
            EffectKind.LeaseGrant => Leases.Grant(effect.LeaseId, effect.LeaseTtl),
            EffectKind.LeaseRevoke => Leases.Revoke(effect.LeaseId),
            _ => false,
        };
    }

    /// <summary>Grants a lease on the speculative state (the sequencer's part of a grant).</summary>
    internal void GrantLease(long leaseId, long ttl) => Leases.Grant(leaseId, ttl);

    /// <summary>Forgets a lease on the speculative state, after its keys were deleted (the sequencer's part of a revoke).</summary>
    internal void RevokeLease(long leaseId) => Leases.Revoke(leaseId);

    /// <summary>A key's latest version changes from <paramref name="before"/> to <paramref name="after"/> (null: absent or deleted).</summary>
    private void MoveAttachment(KeyValue? before, KeyValue? after)
    {
        if (!TracksLeases)
        {
            return;
        }

        if (before is { Lease: not 0 })
        {
            Leases.Detach(before.Lease, before.Key);
        }

        if (after is { Lease: not 0 })
        {
            Leases.Attach(after.Lease, after.Key);
        }
    }

    /// <summary>Attaches every live key to its lease (after loading a checkpoint, as etcd's lessor recovery does).</summary>
    private void ReattachKeys()
    {
        if (!TracksLeases)
        {
            return;
        }

        foreach (var index in _keys)
        {
            if (!index.IsEmpty && index.Last.Value is { Lease: not 0 } kv)
            {
                Leases.Attach(kv.Lease, kv.Key);
            }
        }
    }

    private void ReadLeases(BinaryReader reader)
    {
        var count = reader.ReadInt32();
        if (count < 0)
        {
            throw new InvalidDataException("Negative lease count in MVCC checkpoint.");
        }

        var leases = new LeaseTable();
        for (var i = 0; i < count; i++)
        {
            var id = reader.ReadInt64();
            var ttl = reader.ReadInt64();
            if (id == 0 || !leases.Grant(id, ttl))
            {
                throw new InvalidDataException($"MVCC checkpoint has a bad or repeated lease {id}.");
            }
        }

        Leases = leases;
    }
}
