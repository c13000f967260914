namespace EtcdOrleans.ReplicaLog;

/// <summary>Settings of a <see cref="FileReplicaLogStore"/>.</summary>
/// <param name="Directory">The replica's own directory (created if missing). One store owns it at a time.</param>
public sealed record FileReplicaLogOptions(string Directory)
{
    /// <summary>The default segment size cap: 64 MiB, like etcd.</summary>
    public const long DefaultSegmentSize = 64L * 1024 * 1024;

    /// <summary>A segment is closed and a new one started once it reaches this many bytes (a single save is never split).</summary>
    public long SegmentSizeBytes { get; init; } = DefaultSegmentSize;

    /// <summary>Flush to stable storage before saves complete. Only tests turn this off: without it nothing is durable.</summary>
    public bool SyncWrites { get; init; } = true;

    /// <summary>A group-commit batch stops taking queued saves once it holds this many bytes (it always takes at least one).</summary>
    public int MaxBatchBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Throws <see cref="ArgumentException"/> when a setting is out of range.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(SegmentSizeBytes, 4096);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchBytes, 4096);
    }
}
