using Orleans.Concurrency;

namespace EtcdOrleans.Contracts;

/// <summary>
/// The lease requests that do not go through the log, served by the leader's lessor (each <see cref="IRaftReplicaGrain"/>
/// implements it; address it by the same replica id). Lease grants and revocations are proposals
/// (<see cref="KvOperation.LeaseGrant"/>, <see cref="KvOperation.LeaseRevoke"/>). A replica that is not the leader, or a
/// new leader that has not yet applied its first entry of the term, answers <see cref="KvError.NotLeader"/> or
/// <see cref="KvError.NoLeader"/> with a hint.
/// </summary>
[Alias("etcd.lessor")]
public interface ILessorGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Renews a lease (etcd's LeaseRenew): an etcdserverpb.LeaseKeepAliveResponse with the granted TTL, or TTL 0 when
    /// the lease does not exist or has expired.
    /// </summary>
    [AlwaysInterleave, Alias("keep-alive")]
    Task<LeaseReply> KeepAliveAsync(long leaseId, TimeSpan budget);

    /// <summary>
    /// Answers an etcdserverpb.LeaseTimeToLiveRequest (protobuf bytes) with a LeaseTimeToLiveResponse; an unknown
    /// lease gets TTL -1, as etcd's v3rpc layer answers it.
    /// </summary>
    [AlwaysInterleave, Alias("time-to-live")]
    Task<LeaseReply> TimeToLiveAsync(byte[] request, TimeSpan budget);

    /// <summary>Every granted lease, as an etcdserverpb.LeaseLeasesResponse.</summary>
    [AlwaysInterleave, Alias("leases")]
    Task<LeaseReply> LeasesAsync(TimeSpan budget);
}

/// <summary>The answer of the lessor: a protobuf response (header revision filled) or an error, and the leader hint.</summary>
[GenerateSerializer, Immutable, Alias("etcd.lease-reply")]
public sealed record LeaseReply(
    [property: Id(0)] KvError Error,
    [property: Id(1)] byte[]? Response,
    [property: Id(2)] ulong LeaderHint,
    [property: Id(3)] ulong Term);
