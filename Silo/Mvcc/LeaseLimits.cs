namespace EtcdOrleans.Mvcc;

/// <summary>etcd's bounds on lease TTLs (lease/lessor.go, etcdserver/server.go).</summary>
public static class LeaseLimits
{
    /// <summary>etcd's MaxLeaseTTL: a grant above it fails with "too large lease TTL".</summary>
    public const long MaxTtl = 9_000_000_000;

    /// <summary>The minimum TTL with etcd's default timing (10 election ticks of 100 ms).</summary>
    public const long DefaultMinTtl = 2;

    /// <summary>
    /// etcd's minimum lease TTL in seconds: (3 × election ticks / 2, in integer arithmetic) heartbeat intervals, rounded
    /// up to whole seconds, so that a lease outlives a leader election.
    /// </summary>
    public static long MinTtl(int electionTicks, TimeSpan tickInterval)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(electionTicks);
        var minimum = tickInterval * (3 * electionTicks / 2);
        return (long)Math.Ceiling(minimum.TotalSeconds);
    }
}
