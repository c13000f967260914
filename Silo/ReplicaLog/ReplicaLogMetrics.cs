using System.Diagnostics.Metrics;

namespace EtcdOrleans.ReplicaLog;

/// <summary>The replica log's meter, named like etcd's WAL metrics so dashboards line up with etcd.</summary>
internal static class ReplicaLogMetrics
{
    public static readonly Meter Meter = new("EtcdOrleans.ReplicaLog");

    public static readonly Histogram<double> FsyncDuration = Meter.CreateHistogram<double>(
        "etcd_disk_wal_fsync_duration_seconds", unit: "s", description: "Latency of the flushes of the replica logs.");

    public static readonly Counter<long> BytesWritten = Meter.CreateCounter<long>(
        "etcd_disk_wal_write_bytes_total", unit: "By", description: "Bytes of records written to the replica logs.");
}
