using Orleans.Concurrency;

namespace EtcdOrleans.Grains.Replicas;

/// <summary>
/// The silo-internal face of a Raft replica: what replicas say to each other, and what range grains ask when they
/// fell behind. Never called by gateways.
/// </summary>
[Alias("etcd.raft-peer")]
public interface IRaftPeerGrain : IGrainWithIntegerKey
{
    /// <summary>Delivers Raft messages (encoded by <see cref="RaftMessageCodec"/>). One-way: Raft tolerates loss.</summary>
    [OneWay, AlwaysInterleave, Alias("step")]
    Task StepAsync(byte[] messages);

    /// <summary>
    /// The committed and applied log from <paramref name="fromIndex"/> on (at most <paramref name="maxEntries"/>
    /// entries), or, when that part of the log was compacted, the snapshot that replaced it.
    /// </summary>
    [AlwaysInterleave, Alias("read-applied")]
    Task<AppliedLog> ReadAppliedAsync(ulong fromIndex, int maxEntries);

    /// <summary>
    /// At most <paramref name="maxBytes"/> of this replica's snapshot at <paramref name="index"/> from
    /// <paramref name="offset"/> on, or null when its snapshot is no longer (or not yet) the one at that index. How a
    /// follower sent an InstallSnapshot (which carries only the metadata) and a range grain behind the log take a
    /// snapshot of any size: in bounded pieces, each well within one message.
    /// </summary>
    [AlwaysInterleave, Alias("read-snapshot")]
    Task<SnapshotPiece?> ReadSnapshotAsync(ulong index, long offset, int maxBytes);
}

/// <summary>A piece of a snapshot's data: <see cref="Data"/> starts at the requested offset of <see cref="TotalBytes"/>.</summary>
[GenerateSerializer, Immutable, Alias("etcd.snapshot-piece")]
public sealed record SnapshotPiece(
    [property: Id(0)] long TotalBytes,
    [property: Id(1)] byte[] Data);

/// <summary>
/// Applied log entries <see cref="FirstIndex"/>..<see cref="LastIndex"/> with their encoded effects in order
/// (entries without an effect are skipped), and the revision after them. When <see cref="SnapshotIndex"/> is set the
/// requested entries were compacted: the replica's snapshot at that index (<see cref="FirstIndex"/> - 1), to be read
/// with <see cref="IRaftPeerGrain.ReadSnapshotAsync"/>, replaces them, and there are no effects.
/// <see cref="LastIndex"/> &lt; <see cref="FirstIndex"/> means nothing new.
/// </summary>
[GenerateSerializer, Immutable, Alias("etcd.applied-log")]
public sealed record AppliedLog(
    [property: Id(0)] ulong FirstIndex,
    [property: Id(1)] ulong LastIndex,
    [property: Id(2)] long Revision,
    [property: Id(3)] byte[][] Effects,
    [property: Id(4)] ulong SnapshotIndex);
