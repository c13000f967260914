using EtcdOrleans.Contracts;
using Orleans.Concurrency;

namespace EtcdOrleans.Grains.Ranges;

/// <summary>
/// Every revision of one key range (see <see cref="KeySpace"/>), keyed by the range's index. The leader's applier
/// delivers committed effects in log order; a range grain that finds a gap pulls what it missed from a replica.
/// </summary>
[Alias("etcd.mvcc-range")]
public interface IMvccRangeGrain : IGrainWithIntegerKey
{
    /// <summary>Applies a batch of committed effects; idempotent by log index.</summary>
    [Alias("apply")]
    Task ApplyAsync(AppliedBatch batch);

    /// <summary>
    /// Reads this range's part of an etcdserverpb.RangeRequest at <paramref name="revision"/> (0 = this range's
    /// current revision), once the range has applied the log up to <paramref name="minAppliedIndex"/>, pulling what
    /// it lacks from <paramref name="sourceReplica"/> for at most <paramref name="budget"/>.
    /// </summary>
    [AlwaysInterleave, Alias("range")]
    Task<RangePart> RangeAsync(byte[] request, long revision, ulong minAppliedIndex, ulong sourceReplica, TimeSpan budget);

    /// <summary>
    /// This range's part of a watch history (see <see cref="IKvReaderGrain.HistoryAsync"/>), once it has reached
    /// <paramref name="endRevision"/>, pulling from <paramref name="sourceReplica"/> for at most <paramref name="budget"/>.
    /// </summary>
    [AlwaysInterleave, Alias("history")]
    Task<HistoryPart> HistoryAsync(byte[] key, byte[] rangeEnd, long startRevision, long endRevision, ulong sourceReplica, TimeSpan budget);

    /// <summary>How far this range has applied the log.</summary>
    [AlwaysInterleave, Alias("status")]
    Task<RangeStatus> GetStatusAsync();
}

/// <summary>
/// Committed log entries <see cref="FirstIndex"/>..<see cref="LastIndex"/>, of which <see cref="Effects"/> are the
/// encoded effects that touch this range (in log order), and the revision the store is at after them; sent by
/// replica <see cref="SourceReplica"/> while it led in <see cref="SourceTerm"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("etcd.applied-batch")]
public sealed record AppliedBatch(
    [property: Id(0)] ulong FirstIndex,
    [property: Id(1)] ulong LastIndex,
    [property: Id(2)] long Revision,
    [property: Id(3)] byte[][] Effects,
    [property: Id(4)] ulong SourceReplica,
    [property: Id(5)] ulong SourceTerm);

/// <summary>
/// One range's answer: its key-values plus the counts the merge needs (see the MVCC core's PartialRange). Key-values
/// of more than <see cref="ReplyBuffer.ChunkBytes"/> are not in <see cref="Kvs"/> but in <see cref="Buffered"/>, as the
/// <c>kvs</c> of an etcdserverpb.RangeResponse.
/// </summary>
[GenerateSerializer, Immutable, Alias("etcd.range-part")]
public sealed record RangePart(
    [property: Id(0)] KvError Error,
    [property: Id(1)] RangeKv[] Kvs,
    [property: Id(2)] long Matched,
    [property: Id(3)] long Count,
    [property: Id(4)] long ReadRevision,
    [property: Id(5)] long CurrentRevision,
    [property: Id(6)] BufferedReply? Buffered = null);

/// <summary>A range grain's progress, and the replica (with its term) whose applied log it last took.</summary>
[GenerateSerializer, Immutable, Alias("etcd.range-status")]
public sealed record RangeStatus(
    [property: Id(0)] ulong AppliedIndex,
    [property: Id(1)] long Revision,
    [property: Id(2)] long CompactedRevision,
    [property: Id(3)] ulong SourceReplica,
    [property: Id(4)] ulong SourceTerm);

/// <summary>A key-value as it crosses grain calls.</summary>
[GenerateSerializer, Immutable, Alias("etcd.range-kv")]
public sealed record RangeKv(
    [property: Id(0)] byte[] Key,
    [property: Id(1)] byte[] Value,
    [property: Id(2)] long CreateRevision,
    [property: Id(3)] long ModRevision,
    [property: Id(4)] long Version,
    [property: Id(5)] long Lease);

/// <summary>
/// One range's page of watch history: events in (revision, sub) order through <see cref="Through"/>; or an error
/// (<see cref="KvError.Compacted"/> with <see cref="CompactRevision"/>). A page keeps a revision's events together, so
/// one revision may make it larger than a message: then its events are not in <see cref="Events"/> but in
/// <see cref="Buffered"/> (the <see cref="HistoryEvent"/> array, serialized).
/// </summary>
[GenerateSerializer, Immutable, Alias("etcd.history-part")]
public sealed record HistoryPart(
    [property: Id(0)] KvError Error,
    [property: Id(1)] HistoryEvent[] Events,
    [property: Id(2)] long Through,
    [property: Id(3)] long CompactRevision,
    [property: Id(4)] BufferedReply? Buffered = null);

/// <summary>A watch event as it crosses grain calls: put or delete, the key-value, the previous one, the sub revision.</summary>
[GenerateSerializer, Immutable, Alias("etcd.history-event")]
public sealed record HistoryEvent(
    [property: Id(0)] bool IsDelete,
    [property: Id(1)] RangeKv Kv,
    [property: Id(2)] RangeKv? PrevKv,
    [property: Id(3)] long Sub);
