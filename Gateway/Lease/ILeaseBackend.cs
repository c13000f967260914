using EtcdOrleans.Protos.Etcdserverpb;

namespace EtcdOrleans.Gateway.Lease;

/// <summary>
/// What the Lease service needs from the cluster: etcd's <c>Lessor</c> interface of the server. Every method returns the
/// response with <c>Header.Revision</c> set; the gateway fills cluster_id, member_id and raft_term. Errors are raised as
/// <see cref="Errors.EtcdException"/> (LeaseNotFound, LeaseExist, LeaseTtlTooLarge, NoLeader, Timeout, ...). When
/// the cancellation token fires, throw <see cref="OperationCanceledException"/>.
/// </summary>
public interface ILeaseBackend
{
    /// <summary>
    /// Grants a lease through the log: ID 0 lets the server choose a new positive id; the TTL is raised to the minimum;
    /// a TTL above etcd's maximum raises LeaseTtlTooLarge, an id already granted LeaseExist. Creates no revision.
    /// </summary>
    Task<LeaseGrantResponse> GrantAsync(LeaseGrantRequest request, CancellationToken cancellationToken);

    /// <summary>Revokes a lease through the log, deleting its keys at one revision (none if it has no keys); LeaseNotFound if unknown.</summary>
    Task<LeaseRevokeResponse> RevokeAsync(LeaseRevokeRequest request, CancellationToken cancellationToken);

    /// <summary>Renews a lease at the leader: the response's TTL is the granted TTL, or 0 for an unknown or expired lease.</summary>
    Task<LeaseKeepAliveResponse> KeepAliveAsync(long leaseId, CancellationToken cancellationToken);

    /// <summary>The remaining and granted TTL (and keys on request) from the leader; TTL -1 for an unknown lease.</summary>
    Task<LeaseTimeToLiveResponse> TimeToLiveAsync(LeaseTimeToLiveRequest request, CancellationToken cancellationToken);

    /// <summary>Every granted lease.</summary>
    Task<LeaseLeasesResponse> LeasesAsync(LeaseLeasesRequest request, CancellationToken cancellationToken);
}
