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
}
