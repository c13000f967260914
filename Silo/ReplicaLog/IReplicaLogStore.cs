using EtcdOrleans.Raft;

namespace EtcdOrleans.ReplicaLog;

/// <summary>
/// The durable log of one Raft replica: hard state, log entries and the latest snapshot, in the manner of
/// etcd's WAL plus snapshot file. One writer at a time owns a store (see <see cref="ReplicaLogFencedException"/>).
/// </summary>
/// <remarks>
/// The contract assumes only append-and-flush storage (a local file, an Azure append or block blob): no memory
/// mapping and no positional overwrite. Usage: <see cref="OpenAsync"/> once, then for every Raft Ready one
/// <see cref="SaveAsync"/>, awaited before any message of that Ready is sent.
/// Every member except <see cref="OpenAsync"/> and <see cref="IAsyncDisposable.DisposeAsync"/> throws
/// <see cref="InvalidOperationException"/> before a successful open.
/// After a failed write or flush the store is faulted: the failing and every later call throw
/// <see cref="ReplicaLogFaultedException"/>; the host must dispose it and open it again (recovery).
/// </remarks>
public interface IReplicaLogStore : IAsyncDisposable
{
    /// <summary>
    /// Takes the fence (or throws <see cref="ReplicaLogFencedException"/>), recovers the log (dropping a torn or
    /// corrupt tail of the last segment; throwing <see cref="ReplicaLogCorruptException"/> for damage anywhere else)
    /// and returns the recovered state. Call once.
    /// </summary>
    Task<ReplicaLogRecovery> OpenAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes <paramref name="hardState"/> (null: unchanged) and <paramref name="entries"/> durable; the task completes
    /// when they, and every save queued before, are on stable storage. Concurrent saves share one flush (group commit);
    /// saves are applied in the order the calls were made.
    /// </summary>
    /// <remarks>
    /// <paramref name="entries"/> must have consecutive indexes; the first may be anywhere in
    /// (snapshot index, last index + 1]. When it is at or below the last index, the stored entries from that index
    /// on are replaced (suffix truncation on conflict), durably: after a crash the replaced entries never reappear.
    /// Invalid arguments throw <see cref="ArgumentException"/> synchronously, before anything is queued.
    /// <paramref name="cancellationToken"/> is observed only before the save is queued.
    /// </remarks>
    Task SaveAsync(HardState? hardState, IReadOnlyList<Entry> entries, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores <paramref name="snapshot"/> atomically (temporary file, flush, rename, directory flush) and records it in
    /// the log. If the log holds an entry at the snapshot index with the snapshot's term, the entries after it are kept;
    /// otherwise every entry is discarded and the log continues at snapshot index + 1. The index must not be below
    /// the index of the stored snapshot.
    /// </summary>
    Task SaveSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken = default);

    /// <summary>
    /// Releases storage of log entries up to <paramref name="index"/> (at most the stored snapshot's index). Storage
    /// is freed in whole segments, so some entries at or below <paramref name="index"/> may remain; recovery never
    /// returns entries at or below the snapshot index either way.
    /// </summary>
    Task CompactAsync(ulong index, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads back the entries in [<paramref name="fromIndex"/>, <paramref name="toIndexExclusive"/>) that are above the
    /// snapshot index and already durable, from storage (for verification and tools; the host serves reads from memory).
    /// </summary>
    Task<IReadOnlyList<Entry>> ReadEntriesAsync(ulong fromIndex, ulong toIndexExclusive, CancellationToken cancellationToken = default);

    /// <summary>Counters of this store since it was opened.</summary>
    ReplicaLogCounters Counters { get; }
}

/// <summary>What <see cref="IReplicaLogStore.OpenAsync"/> recovered: load it into the Raft core's memory storage.</summary>
/// <param name="HardState">The last durable hard state (<see cref="HardState.Empty"/> for a new replica).</param>
/// <param name="Snapshot">The stored snapshot (<see cref="Snapshot.Empty"/> if none).</param>
/// <param name="Entries">Every durable entry after the snapshot index, consecutive, starting at snapshot index + 1.</param>
public sealed record ReplicaLogRecovery(HardState HardState, Snapshot Snapshot, IReadOnlyList<Entry> Entries)
{
    /// <summary>The index of the last entry, or the snapshot index when there are no entries.</summary>
    public ulong LastIndex => Entries.Count > 0 ? Entries[^1].Index : Snapshot.Metadata.Index;
}

/// <summary>Counters of one store, for tests and metrics.</summary>
/// <param name="Saves">Save calls queued (entries, hard state or snapshot records).</param>
/// <param name="Batches">Group-commit batches written.</param>
/// <param name="Syncs">Flushes to stable storage (fdatasync/fsync), including segment and directory flushes.</param>
/// <param name="BytesWritten">Record bytes written to segments.</param>
/// <param name="SegmentsCreated">Segments created since open.</param>
/// <param name="SegmentsDeleted">Segments deleted by compaction since open.</param>
public readonly record struct ReplicaLogCounters(long Saves, long Batches, long Syncs, long BytesWritten, long SegmentsCreated, long SegmentsDeleted);
