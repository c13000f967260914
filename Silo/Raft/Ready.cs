namespace EtcdOrleans.Raft;

/// <summary>The role a replica plays in its current term.</summary>
public enum RaftRole : byte
{
    /// <summary>Follows a leader (or waits for one).</summary>
    Follower = 0,

    /// <summary>Asks whether it could win an election before disturbing anybody's term.</summary>
    PreCandidate = 1,

    /// <summary>Campaigns in a new term.</summary>
    Candidate = 2,

    /// <summary>Leads the term: accepts proposals, replicates, commits.</summary>
    Leader = 3,
}

/// <summary>Volatile state worth telling the host about; need not be persisted.</summary>
/// <param name="Leader">The leader this replica knows of in its term (0 = unknown).</param>
/// <param name="Role">This replica's role.</param>
public readonly record struct SoftState(ulong Leader, RaftRole Role);

/// <summary>
/// A completed linearizable read barrier: the read identified by <see cref="Context"/> may be served once the host has
/// applied at least <see cref="Index"/>.
/// </summary>
public readonly record struct ReadState(ulong Index, ReadOnlyMemory<byte> Context);

/// <summary>
/// Everything the host must do after driving the node, in this order: persist <see cref="HardState"/>,
/// <see cref="Snapshot"/> and <see cref="Entries"/> (durably when <see cref="MustSync"/>); only then send
/// <see cref="Messages"/>; install <see cref="Snapshot"/> into the state machine, apply <see cref="CommittedEntries"/>
/// in order (calling <see cref="RaftNode.ApplyConfChange"/> for configuration entries), serve <see cref="ReadStates"/>
/// once applied far enough; finally call <see cref="RaftNode.Advance"/> with this object.
/// </summary>
public sealed class Ready
{
    internal Ready(
        SoftState? softState,
        HardState? hardState,
        IReadOnlyList<Entry> entries,
        Snapshot? snapshot,
        IReadOnlyList<Entry> committedEntries,
        IReadOnlyList<Message> messages,
        IReadOnlyList<ReadState> readStates,
        bool mustSync)
    {
        SoftState = softState;
        HardState = hardState;
        Entries = entries;
        Snapshot = snapshot;
        CommittedEntries = committedEntries;
        Messages = messages;
        ReadStates = readStates;
        MustSync = mustSync;
    }

    /// <summary>Leader and role, when they changed since the previous ready; otherwise null.</summary>
    public SoftState? SoftState { get; }

    /// <summary>Term, vote and commit to persist, when they changed; otherwise null.</summary>
    public HardState? HardState { get; }

    /// <summary>New log entries to persist, in order; they may replace a suffix of the persisted log.</summary>
    public IReadOnlyList<Entry> Entries { get; }

    /// <summary>A snapshot received from the leader: persist it (replacing the log) and install it; otherwise null.</summary>
    public Snapshot? Snapshot { get; }

    /// <summary>Entries known committed, to apply in order after the persisting step.</summary>
    public IReadOnlyList<Entry> CommittedEntries { get; }

    /// <summary>Messages to send, only after the persisting step; delivery may fail, duplicate or reorder.</summary>
    public IReadOnlyList<Message> Messages { get; }

    /// <summary>Completed read barriers.</summary>
    public IReadOnlyList<ReadState> ReadStates { get; }

    /// <summary>True when the hard state's term or vote, or new entries, must reach stable storage (fsync) before sending.</summary>
    public bool MustSync { get; }
}

/// <summary>Why a proposal was or was not appended.</summary>
public enum ProposeStatus : byte
{
    /// <summary>Appended to the leader's log at the returned index; not yet committed.</summary>
    Accepted = 0,

    /// <summary>This replica is not the leader; see <see cref="RaftNode.Leader"/> for whom to ask.</summary>
    NotLeader = 1,

    /// <summary>Leadership is being transferred; retry after it settles.</summary>
    TransferInProgress = 2,

    /// <summary>Too many uncommitted bytes (<see cref="RaftConfig.MaxUncommittedEntriesSize"/>); retry later.</summary>
    TooManyUncommitted = 3,

    /// <summary>A membership change is already in flight (proposed and not yet applied).</summary>
    ConfChangeInProgress = 4,
}

/// <summary>The outcome of a proposal: on success, the index of the first entry appended and the term it was appended in.</summary>
public readonly record struct ProposeResult(ProposeStatus Status, ulong Index, ulong Term)
{
    /// <summary>True when the entries were appended.</summary>
    public bool IsAccepted => Status == ProposeStatus.Accepted;
}

/// <summary>What the leader knows of one replica's log (for status reporting and tests).</summary>
public readonly record struct ProgressStatus(ulong Match, ulong Next, ProgressState State, bool IsLearner, bool RecentActive);
