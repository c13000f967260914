namespace EtcdOrleans.Grains.Replicas;

/// <summary>
/// When a replica snapshots its applied state and compacts its log (etcd's <c>--snapshot-count</c> and
/// SnapshotCatchUpEntries), and the size of the log's segments. Bound from the <c>EtcdOrleans:Snapshots</c> configuration section.
/// </summary>
public sealed class RaftSnapshotOptions
{
    /// <summary>Entries applied since the last snapshot that trigger the next one (etcd 3.4's default, 100,000).</summary>
    public int SnapshotCount { get; set; } = 100_000;

    /// <summary>Bytes of entries applied since the last snapshot that trigger the next one, whatever their number.</summary>
    public long SnapshotLogBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// Entries kept below a snapshot, so that a follower a little behind catches up from entries rather than from a
    /// whole snapshot (etcd's SnapshotCatchUpEntries, 5,000).
    /// </summary>
    public int CatchUpEntries { get; set; } = 5_000;

    /// <summary>Size of a log segment on disk (etcd's WAL segments are 64 MiB); compaction deletes whole segments.</summary>
    public long LogSegmentBytes { get; set; } = EtcdOrleans.ReplicaLog.FileReplicaLogOptions.DefaultSegmentSize;
}
