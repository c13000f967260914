using Orleans.Concurrency;

namespace EtcdOrleans.Contracts;

/// <summary>
/// One replica of the Raft group (an etcd member), keyed by its replica id (1..N). The leader sequences requests
/// into effects, replicates them, and answers once they are durable on a majority and applied. Any replica answers
/// <see cref="KvError.NotLeader"/> with a hint instead of forwarding.
/// </summary>
[Alias("etcd.raft-replica")]
public interface IRaftReplicaGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Proposes a batch of requests (Put, DeleteRange, Txn, Compact, lease grant and revoke) in order. Each gets its
    /// own outcome: a write is answered once its effect is committed and applied; a request that changes nothing
    /// (read-only or failed txn, delete of nothing) once the state it was answered from is committed and a quorum
    /// round has confirmed this replica's leadership. Whatever is not answered within <paramref name="budget"/> (the
    /// time left of the client's request) gets <see cref="KvError.Timeout"/>.
    /// </summary>
    [AlwaysInterleave, Alias("propose")]
    Task<ProposeReply> ProposeAsync(KvCommand[] commands, TimeSpan budget);

    /// <summary>
    /// A linearizable read barrier: the leader confirms its leadership with a quorum and returns its commit index
    /// and the revision as of that index. Reads at that revision, served once applied, are linearizable.
    /// </summary>
    [AlwaysInterleave, Alias("read-index")]
    Task<ReadBarrier> ReadIndexAsync(TimeSpan budget);

    /// <summary>The replica's view of the group, for headers, Status and tests.</summary>
    [AlwaysInterleave, Alias("status")]
    Task<ReplicaStatus> GetStatusAsync();

    /// <summary>
    /// A hash of this replica's applied key space, every retained revision included (the ground of etcd's HashKV):
    /// replicas that applied the same log have the same hash, however each got its state (entries or a snapshot).
    /// </summary>
    [AlwaysInterleave, Alias("hash-applied")]
    Task<AppliedHash> HashAppliedAsync();
}

/// <summary>The hash of a replica's applied state at <see cref="AppliedIndex"/> (revision <see cref="Revision"/>).</summary>
[GenerateSerializer, Immutable, Alias("etcd.applied-hash")]
public sealed record AppliedHash(
    [property: Id(0)] ulong AppliedIndex,
    [property: Id(1)] long Revision,
    [property: Id(2)] long CompactRevision,
    [property: Id(3)] uint Hash);

/// <summary>The answer to a batch of proposals: one outcome per command, or <see cref="KvError.NotLeader"/> for all.</summary>
[GenerateSerializer, Immutable, Alias("etcd.propose-reply")]
public sealed record ProposeReply(
    [property: Id(0)] KvOutcome[] Outcomes,
    [property: Id(1)] ulong LeaderHint,
    [property: Id(2)] ulong Term);

/// <summary>The result of a read barrier: read at <see cref="Revision"/> once <see cref="Index"/> is applied.</summary>
[GenerateSerializer, Immutable, Alias("etcd.read-barrier")]
public sealed record ReadBarrier(
    [property: Id(0)] KvError Error,
    [property: Id(1)] ulong Index,
    [property: Id(2)] long Revision,
    [property: Id(3)] ulong LeaderHint,
    [property: Id(4)] ulong Term);

/// <summary>
/// What one replica knows of the group, and how far its log reaches: entries <see cref="FirstIndex"/>.. in memory, its
/// latest snapshot, and the snapshots it installed from a leader since it was activated.
/// </summary>
[GenerateSerializer, Immutable, Alias("etcd.replica-status")]
public sealed record ReplicaStatus(
    [property: Id(0)] ulong ReplicaId,
    [property: Id(1)] ulong Leader,
    [property: Id(2)] ulong Term,
    [property: Id(3)] ulong CommitIndex,
    [property: Id(4)] ulong AppliedIndex,
    [property: Id(5)] long Revision,
    [property: Id(6)] long CompactRevision,
    [property: Id(7)] ulong ClusterId,
    [property: Id(8)] string Silo,
    [property: Id(9)] ulong FirstIndex,
    [property: Id(10)] ulong SnapshotIndex,
    [property: Id(11)] long SnapshotsInstalled);
