namespace EtcdOrleans.Grains.Replicas;

/// <summary>
/// How fast the Raft group ticks. The defaults are etcd's: a 100 ms heartbeat and a 1 s election timeout
/// (randomized to 1–2 s by the core). Bound from the <c>EtcdOrleans:Raft</c> configuration section.
/// </summary>
public sealed class RaftTimingOptions
{
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    public int HeartbeatTicks { get; set; } = 1;

    public int ElectionTicks { get; set; } = 10;

    /// <summary>How long a proposal or read barrier may wait before it fails with "request timed out" (etcd: 5 s + 2 election timeouts).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(7);
}
