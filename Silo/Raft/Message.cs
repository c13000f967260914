namespace EtcdOrleans.Raft;

/// <summary>The kinds of message Raft replicas exchange.</summary>
public enum MessageType : byte
{
    /// <summary>Leader to follower: entries after (<see cref="Message.Index"/>, <see cref="Message.LogTerm"/>), and the leader's commit.</summary>
    Append = 1,

    /// <summary>Follower to leader: accepted up to <see cref="Message.Index"/>, or rejected with a hint.</summary>
    AppendResponse = 2,

    /// <summary>Candidate to voter: vote for me in <see cref="Message.Term"/>; my last entry is (Index, LogTerm).</summary>
    Vote = 3,

    /// <summary>Voter to candidate: granted unless <see cref="Message.Reject"/>.</summary>
    VoteResponse = 4,

    /// <summary>Pre-candidate to voter: would you vote for me in <see cref="Message.Term"/>? Changes nobody's term.</summary>
    PreVote = 5,

    /// <summary>Voter to pre-candidate.</summary>
    PreVoteResponse = 6,

    /// <summary>Leader to follower: I am alive; commit up to <see cref="Message.Commit"/>; may carry a read round in <see cref="Message.Context"/>.</summary>
    Heartbeat = 7,

    /// <summary>Follower to leader: echoes the heartbeat's <see cref="Message.Context"/>.</summary>
    HeartbeatResponse = 8,

    /// <summary>Leader to a follower whose next entry was compacted: install <see cref="Message.Snapshot"/>.</summary>
    InstallSnapshot = 9,

    /// <summary>Follower to leader: a linearizable read barrier request identified by <see cref="Message.Context"/>.</summary>
    ReadIndex = 10,

    /// <summary>Leader to follower: the read identified by <see cref="Message.Context"/> may proceed once <see cref="Message.Index"/> is applied.</summary>
    ReadIndexResponse = 11,

    /// <summary>Follower to leader: please transfer leadership to <see cref="Message.Index"/> (a replica id).</summary>
    TransferLeader = 12,

    /// <summary>Leader to the transferee: campaign now, bypassing pre-vote and the leader lease.</summary>
    TimeoutNow = 13,
}

/// <summary>
/// One message between replicas. A single flat record so that it is trivial to serialize; which fields matter depends on
/// <see cref="Type"/>. Messages, their entry lists and byte payloads are never mutated after creation.
/// </summary>
public sealed record Message
{
    /// <summary>What this message is.</summary>
    public MessageType Type { get; init; }

    /// <summary>Sender replica id.</summary>
    public ulong From { get; init; }

    /// <summary>Recipient replica id.</summary>
    public ulong To { get; init; }

    /// <summary>The sender's term (the proposed term for votes); 0 for requests that must not disturb terms (ReadIndex, TransferLeader).</summary>
    public ulong Term { get; init; }

    /// <summary>Append: term of the entry at <see cref="Index"/>. Vote: term of the candidate's last entry. Rejected append: term of the hint entry.</summary>
    public ulong LogTerm { get; init; }

    /// <summary>Append: index preceding <see cref="Entries"/>. Response: last index accepted (or the rejected index). Vote: candidate's last index.</summary>
    public ulong Index { get; init; }

    /// <summary>Entries to append (Append only).</summary>
    public IReadOnlyList<Entry> Entries { get; init; } = [];

    /// <summary>The leader's commit index (Append, Heartbeat).</summary>
    public ulong Commit { get; init; }

    /// <summary>True when a response refuses the request.</summary>
    public bool Reject { get; init; }

    /// <summary>Rejected append: the index the leader should probe next (the follower's guess of the last matching entry).</summary>
    public ulong RejectHint { get; init; }

    /// <summary>The snapshot to install (InstallSnapshot only).</summary>
    public Snapshot? Snapshot { get; init; }

    /// <summary>Opaque bytes: read request context, heartbeat read round, or the leadership-transfer marker on votes.</summary>
    public ReadOnlyMemory<byte> Context { get; init; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Type} {From}->{To} t{Term} lt{LogTerm} i{Index} n{Entries.Count} c{Commit}{(Reject ? $" reject hint {RejectHint}" : "")}";
}
