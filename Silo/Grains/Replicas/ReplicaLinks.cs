namespace EtcdOrleans.Grains.Replicas;

/// <summary>
/// Which replica-to-replica links carry Raft messages. In production every link is up and this is never changed; a
/// test that runs its silos in one process shares one instance among them to cut replicas off from each other (a
/// network partition between grains, with the client path left open).
/// </summary>
public sealed class ReplicaLinks
{
    private readonly HashSet<ulong> _isolated = [];
    private readonly Lock _lock = new();

    /// <summary>True when messages from <paramref name="from"/> to <paramref name="to"/> are dropped.</summary>
    public bool IsCut(ulong from, ulong to)
    {
        lock (_lock)
        {
            return _isolated.Count > 0 && (_isolated.Contains(from) || _isolated.Contains(to));
        }
    }

    /// <summary>Drops every message to and from <paramref name="replica"/> until <see cref="HealAll"/>.</summary>
    public void Isolate(ulong replica)
    {
        lock (_lock)
        {
            _isolated.Add(replica);
        }
    }

    public void HealAll()
    {
        lock (_lock)
        {
            _isolated.Clear();
        }
    }
}
