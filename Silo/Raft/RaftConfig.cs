namespace EtcdOrleans.Raft;

/// <summary>How a <see cref="RaftNode"/> behaves. Times are in ticks: the host decides how long a tick is.</summary>
public sealed record RaftConfig
{
    /// <summary>This replica's id (non-zero).</summary>
    public required ulong Id { get; init; }

    /// <summary>Base election timeout; the randomized timeout is drawn from [ElectionTicks, 2*ElectionTicks).</summary>
    public int ElectionTicks { get; init; } = 10;

    /// <summary>Ticks between leader heartbeats; must be less than <see cref="ElectionTicks"/>.</summary>
    public int HeartbeatTicks { get; init; } = 1;

    /// <summary>
    /// The last index the host has applied to its state machine (on restart). 0 means "the storage's snapshot index":
    /// every committed entry after the snapshot is delivered again in <see cref="Ready.CommittedEntries"/>.
    /// </summary>
    public ulong Applied { get; init; }

    /// <summary>Byte cap of the entries in one Append message (at least one entry is always sent).</summary>
    public ulong MaxSizePerMsg { get; init; } = 1024 * 1024;

    /// <summary>Append messages in flight per follower in the replicate state (the pipelining window).</summary>
    public int MaxInflightMsgs { get; init; } = 256;

    /// <summary>Byte cap of entries appended by the leader but not yet committed; 0 = no cap. Proposals beyond it are dropped.</summary>
    public ulong MaxUncommittedEntriesSize { get; init; }

    /// <summary>Byte cap of the committed entries handed out in one <see cref="Ready"/> (at least one entry).</summary>
    public ulong MaxCommittedSizePerReady { get; init; } = 64 * 1024 * 1024;

    /// <summary>Run a pre-vote round before a real election so that a partitioned replica cannot disrupt the cluster.</summary>
    public bool PreVote { get; init; } = true;

    /// <summary>Leader steps down when it has not heard from a quorum within an election timeout; voters ignore votes while in the lease.</summary>
    public bool CheckQuorum { get; init; } = true;

    /// <summary>The random source for election timeouts. When null, one is created from <see cref="Seed"/>.</summary>
    public Random? Random { get; init; }

    /// <summary>Seed for the random source when <see cref="Random"/> is null; default derives from <see cref="Id"/>.</summary>
    public int? Seed { get; init; }

    internal void Validate()
    {
        if (Id == 0)
        {
            throw new ArgumentException("replica id must be non-zero");
        }

        if (HeartbeatTicks <= 0 || ElectionTicks <= HeartbeatTicks)
        {
            throw new ArgumentException("need 0 < HeartbeatTicks < ElectionTicks");
        }

        if (MaxInflightMsgs <= 0)
        {
            throw new ArgumentException("MaxInflightMsgs must be positive");
        }
    }
}
