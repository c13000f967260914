namespace EtcdOrleans.Raft;

/// <summary>
/// The state a replica must make durable before sending any message that depends on it:
/// its current term, whom it voted for in that term (0 = nobody) and the highest index it knows committed.
/// </summary>
public readonly record struct HardState(ulong Term, ulong Vote, ulong Commit)
{
    /// <summary>The state of a replica that has never run.</summary>
    public static readonly HardState Empty = default;

    /// <summary>True for the state of a replica that has never run.</summary>
    public bool IsEmpty => Term == 0 && Vote == 0 && Commit == 0;
}
