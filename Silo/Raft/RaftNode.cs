namespace EtcdOrleans.Raft;

/// <summary>
/// One Raft replica as a deterministic state machine (the shape of etcd-raft's raft + RawNode). The host drives it
/// from one thread: <see cref="Tick"/>, <see cref="Step"/>, <see cref="Propose(ReadOnlyMemory{byte})"/> and friends
/// change its state; <see cref="GetReady"/> tells what to persist, send and apply; <see cref="Advance"/> acknowledges.
/// Role behaviour lives in the RaftNode.Leader/Candidate/Follower files and is swapped through <see cref="_step"/> and
/// <see cref="_tick"/> on every role change.
/// </summary>
public sealed partial class RaftNode
{
    private static readonly byte[] TransferCampaignContext = "raft-transfer-campaign"u8.ToArray();

    private readonly RaftConfig _config;
    private readonly RaftLog _log;
    private readonly ProgressTracker _tracker;
    private readonly ReadOnly _reads = new();
    private readonly Random _random;
    private readonly Action<Message> _stepLeader;
    private readonly Action<Message> _stepCandidate;
    private readonly Action<Message> _stepFollower;
    private readonly Action _tickLeader;
    private readonly Action _tickElection;
    private Action<Message> _step;
    private Action _tick;
    private List<Message> _messages = [];
    private List<ReadState> _readStates = [];
    private int _electionElapsed;
    private int _heartbeatElapsed;
    private int _randomizedElectionTimeout;
    private ulong _pendingConfIndex;
    private ulong _uncommittedSize;
    private HardState _prevHardState;
    private SoftState _prevSoftState;
    private bool _readyOutstanding;
    private ulong _pendingAckTo;
    private ulong _pendingAckIndex;
    private bool _commitToAnnounce;

    /// <summary>
    /// Creates a replica, or restarts one, from what <paramref name="storage"/> holds: its hard state, configuration
    /// (from the snapshot metadata) and log. A brand-new cluster member starts from a <see cref="MemoryRaftStorage"/>
    /// constructed with the initial configuration; a replica that will be added later starts from an empty one.
    /// </summary>
    public RaftNode(RaftConfig config, IRaftStorage storage)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(storage);
        config.Validate();
        _config = config;
        _random = config.Random ?? new Random(config.Seed ?? unchecked((int)config.Id * 7919));
        _log = new RaftLog(storage);
        _tracker = new ProgressTracker(config.MaxInflightMsgs);
        _stepLeader = StepLeader;
        _stepCandidate = StepCandidate;
        _stepFollower = StepFollower;
        _tickLeader = TickLeader;
        _tickElection = TickElection;
        _step = _stepFollower;
        _tick = _tickElection;

        var (hardState, confState) = storage.InitialState();
        _tracker.SetConfiguration(confState, _log.LastIndex + 1);
        if (!hardState.IsEmpty)
        {
            if (hardState.Commit < _log.Committed || hardState.Commit > _log.LastIndex)
            {
                throw new InvalidOperationException($"stored commit {hardState.Commit} outside [{_log.Committed}, {_log.LastIndex}]");
            }

            Term = hardState.Term;
            Vote = hardState.Vote;
            _log.CommitTo(hardState.Commit);
        }

        if (config.Applied > 0)
        {
            _log.AppliedTo(Math.Min(config.Applied, _log.Committed));
        }

        BecomeFollower(Term, 0);
        _prevHardState = HardState;
        _prevSoftState = SoftState;
    }

    /// <summary>This replica's id.</summary>
    public ulong Id => _config.Id;

    /// <summary>The current term.</summary>
    public ulong Term { get; private set; }

    /// <summary>Whom this replica voted for in <see cref="Term"/> (0 = nobody).</summary>
    public ulong Vote { get; private set; }

    /// <summary>The leader known in <see cref="Term"/> (0 = unknown).</summary>
    public ulong Leader { get; private set; }

    /// <summary>This replica's role.</summary>
    public RaftRole Role { get; private set; }

    /// <summary>Highest index known committed.</summary>
    public ulong Commit => _log.Committed;

    /// <summary>Highest index the host has applied (as acknowledged through <see cref="Advance"/>).</summary>
    public ulong Applied => _log.Applied;

    /// <summary>Index of the last entry in this replica's log (persisted or not).</summary>
    public ulong LastIndex => _log.LastIndex;

    /// <summary>Index of the first entry still in the log (older ones are compacted into the snapshot).</summary>
    public ulong FirstIndex => _log.FirstIndex;

    /// <summary>The replica a leadership transfer is under way to (0 = none).</summary>
    public ulong LeadTransferee { get; private set; }

    /// <summary>The current configuration as this replica knows it (including changes applied through <see cref="ApplyConfChange"/>).</summary>
    public ConfState ConfState => _tracker.ToConfState();

    /// <summary>The durable part of the state.</summary>
    public HardState HardState => new(Term, Vote, _log.Committed);

    /// <summary>The volatile part of the state worth reporting.</summary>
    public SoftState SoftState => new(Leader, Role);

    /// <summary>The term of the entry at <paramref name="index"/>, or 0 when compacted or absent.</summary>
    public ulong TermAt(ulong index) => _log.Term(index);

    /// <summary>Leader only: what it knows of <paramref name="id"/>'s log; null when not a member.</summary>
    public ProgressStatus? GetProgress(ulong id) =>
        _tracker.Get(id) is { } pr ? new ProgressStatus(pr.Match, pr.Next, pr.State, pr.IsLearner, pr.RecentActive) : null;

    /// <summary>Entries [lo, hi) of this replica's log, persisted or not (for tests and diagnostics).</summary>
    internal IReadOnlyList<Entry> LogSlice(ulong lo, ulong hi) => _log.Slice(lo, hi, ulong.MaxValue);

    /// <summary>Advances the logical clock by one tick: election timeouts for followers and candidates, heartbeats and check-quorum for the leader.</summary>
    public void Tick() => _tick();

    /// <summary>Starts an election now (if this replica may campaign), as if its election timeout had elapsed.</summary>
    public void Campaign() => Hup(transfer: false);

    /// <summary>
    /// Handles a message received from another replica. Messages for another recipient, or without a term (except the
    /// term-less ReadIndex and TransferLeader requests), are ignored.
    /// </summary>
    public void Step(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.To != Id || message.From == 0)
        {
            return;
        }

        if (message.Term == 0)
        {
            if (message.Type is MessageType.ReadIndex or MessageType.TransferLeader)
            {
                _step(message);
            }

            return;
        }

        if (message.Term > Term)
        {
            if (message.Type is MessageType.Vote or MessageType.PreVote)
            {
                var force = message.Context.Span.SequenceEqual(TransferCampaignContext);
                var inLease = _config.CheckQuorum && Leader != 0 && _electionElapsed < _config.ElectionTicks;
                if (!force && inLease)
                {
                    // We heard from a live leader within the election timeout: this candidate is disruptive (§6 of the thesis).
                    return;
                }
            }

            if (message.Type == MessageType.PreVote || (message.Type == MessageType.PreVoteResponse && !message.Reject))
            {
                // Pre-votes never change terms; a granted pre-vote carries the term the candidate would use.
            }
            else if (message.Type is MessageType.Append or MessageType.Heartbeat or MessageType.InstallSnapshot)
            {
                BecomeFollower(message.Term, message.From);
            }
            else
            {
                BecomeFollower(message.Term, 0);
            }
        }
        else if (message.Term < Term)
        {
            if ((_config.CheckQuorum || _config.PreVote) && message.Type is MessageType.Append or MessageType.Heartbeat)
            {
                // A stale leader (for example after a partition) learns our term from this and steps down.
                Send(new Message { From = Id, Type = MessageType.AppendResponse, To = message.From, Term = Term });
            }
            else if (message.Type == MessageType.PreVote)
            {
                Send(new Message { From = Id, Type = MessageType.PreVoteResponse, To = message.From, Term = Term, Reject = true });
            }

            return;
        }

        if (message.Type is MessageType.Vote or MessageType.PreVote)
        {
            HandleVoteRequest(message);
        }
        else
        {
            _step(message);
        }
    }

    private void HandleVoteRequest(Message m)
    {
        var responseType = m.Type == MessageType.Vote ? MessageType.VoteResponse : MessageType.PreVoteResponse;
        var canVote = Vote == m.From
            || (Vote == 0 && Leader == 0)
            || (m.Type == MessageType.PreVote && m.Term > Term);
        if (canVote && _log.IsUpToDate(m.Index, m.LogTerm))
        {
            Send(new Message { From = Id, Type = responseType, To = m.From, Term = m.Term });
            if (m.Type == MessageType.Vote)
            {
                _electionElapsed = 0;
                Vote = m.From;
            }
        }
        else
        {
            Send(new Message { From = Id, Type = responseType, To = m.From, Term = Term, Reject = true });
        }
    }

    /// <summary>A voter that is not waiting to install a snapshot may campaign.</summary>
    private bool Promotable => _tracker.IsVoter(Id) && _log.Unstable.Snapshot is null;

    private void Hup(bool transfer)
    {
        if (Role == RaftRole.Leader || !Promotable)
        {
            return;
        }

        if (_log.HasConfChangeBetween(_log.Applied + 1, _log.Committed))
        {
            // A committed configuration change is not applied yet: our view of the voters may be stale.
            return;
        }

        if (_config.PreVote && !transfer)
        {
            StartCampaign(preVote: true, transfer: false);
        }
        else
        {
            StartCampaign(preVote: false, transfer);
        }
    }

    private void Reset(ulong term)
    {
        if (Term != term)
        {
            Term = term;
            Vote = 0;
        }

        Leader = 0;
        _electionElapsed = 0;
        _heartbeatElapsed = 0;
        _randomizedElectionTimeout = _config.ElectionTicks + _random.Next(_config.ElectionTicks);
        LeadTransferee = 0;
        _tracker.ResetVotes();
        var last = _log.LastIndex;
        foreach (var (id, pr) in _tracker.All)
        {
            pr.ResetForNewTerm(last + 1);
            if (id == Id)
            {
                pr.Match = last;
            }
        }

        _pendingConfIndex = 0;
        _uncommittedSize = 0;
        _reads.Reset();
        // Acknowledgements and commit announcements belong to the term that is ending.
        _pendingAckTo = 0;
        _pendingAckIndex = 0;
        _commitToAnnounce = false;
    }

    private void BecomeFollower(ulong term, ulong leader)
    {
        _step = _stepFollower;
        _tick = _tickElection;
        Reset(term);
        Leader = leader;
        Role = RaftRole.Follower;
    }

    private void Send(Message message) => _messages.Add(message);
}
