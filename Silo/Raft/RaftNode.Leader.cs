namespace EtcdOrleans.Raft;

/// <summary>The leader's behaviour: proposals, replication, commit, heartbeats, check-quorum, ReadIndex and transfer.</summary>
public sealed partial class RaftNode
{
    /// <summary>Proposes one normal entry. Only the leader accepts; followers answer <see cref="ProposeStatus.NotLeader"/>.</summary>
    public ProposeResult Propose(ReadOnlyMemory<byte> data)
    {
        var refusal = CheckCanPropose((ulong)data.Length);
        if (refusal != ProposeStatus.Accepted)
        {
            return new ProposeResult(refusal, 0, Term);
        }

        var index = AppendEntry(EntryType.Normal, data);
        BroadcastAppend();
        return new ProposeResult(ProposeStatus.Accepted, index, Term);
    }

    /// <summary>Proposes a batch of normal entries at consecutive indexes, replicated together; all or none are appended.</summary>
    public ProposeResult Propose(IReadOnlyList<ReadOnlyMemory<byte>> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ulong size = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            size += (ulong)batch[i].Length;
        }

        var refusal = CheckCanPropose(size);
        if (refusal != ProposeStatus.Accepted || batch.Count == 0)
        {
            return new ProposeResult(refusal, _log.LastIndex + 1, Term);
        }

        var first = _log.LastIndex + 1;
        for (var i = 0; i < batch.Count; i++)
        {
            AppendEntry(EntryType.Normal, batch[i]);
        }

        BroadcastAppend();
        return new ProposeResult(ProposeStatus.Accepted, first, Term);
    }

    /// <summary>
    /// Proposes a membership change. Only one may be in flight: refused until the previous one has been applied
    /// (<see cref="ApplyConfChange"/>) on this leader.
    /// </summary>
    public ProposeResult ProposeConfChange(ConfChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var data = change.Encode();
        var refusal = CheckCanPropose((ulong)data.Length);
        if (refusal == ProposeStatus.Accepted && _pendingConfIndex > _log.Applied)
        {
            refusal = ProposeStatus.ConfChangeInProgress;
        }

        if (refusal != ProposeStatus.Accepted)
        {
            return new ProposeResult(refusal, 0, Term);
        }

        var index = AppendEntry(EntryType.ConfChange, data);
        _pendingConfIndex = index;
        BroadcastAppend();
        return new ProposeResult(ProposeStatus.Accepted, index, Term);
    }

    /// <summary>
    /// Asks for leadership to move to <paramref name="transferee"/> (etcd's MoveLeader). On the leader it catches the
    /// transferee up and sends it TimeoutNow; on a follower the request is forwarded to the leader. Proposals are
    /// refused while a transfer is under way; it is abandoned after an election timeout.
    /// </summary>
    public void TransferLeadership(ulong transferee)
    {
        if (Role == RaftRole.Leader)
        {
            HandleTransferLeader(transferee);
        }
        else if (Leader != 0)
        {
            Send(new Message { From = Id, Type = MessageType.TransferLeader, To = Leader, Index = transferee });
        }
    }

    /// <summary>
    /// Requests a linearizable read barrier identified by <paramref name="context"/>; a <see cref="ReadState"/> with the
    /// same context appears in a later <see cref="Ready"/>. Returns false when there is no known leader to ask (retry later).
    /// Reads are dropped if leadership changes before they complete: the host must time out and retry.
    /// </summary>
    public bool ReadIndex(ReadOnlyMemory<byte> context)
    {
        if (Role == RaftRole.Leader)
        {
            HandleReadIndexRequest(Id, context);
            return true;
        }

        if (Role == RaftRole.Follower && Leader != 0)
        {
            Send(new Message { From = Id, Type = MessageType.ReadIndex, To = Leader, Context = context });
            return true;
        }

        return false;
    }

    /// <summary>The transport could not reach <paramref name="id"/>: stop streaming to it and probe instead.</summary>
    public void ReportUnreachable(ulong id)
    {
        if (Role == RaftRole.Leader && _tracker.Get(id) is { State: ProgressState.Replicate } pr)
        {
            pr.BecomeProbe();
        }
    }

    /// <summary>The transport finished (or failed) sending a snapshot to <paramref name="id"/>.</summary>
    public void ReportSnapshot(ulong id, bool succeeded)
    {
        if (Role != RaftRole.Leader || _tracker.Get(id) is not { State: ProgressState.Snapshot } pr)
        {
            return;
        }

        if (!succeeded)
        {
            pr.BecomeProbe();
            pr.Next = pr.Match + 1;
        }
        else
        {
            pr.BecomeProbe();
        }

        // Wait for a heartbeat response before probing again.
        pr.ProbeSent = true;
    }

    private ProposeStatus CheckCanPropose(ulong size)
    {
        if (Role != RaftRole.Leader)
        {
            return ProposeStatus.NotLeader;
        }

        if (LeadTransferee != 0)
        {
            return ProposeStatus.TransferInProgress;
        }

        var cap = _config.MaxUncommittedEntriesSize;
        if (cap > 0 && _uncommittedSize > 0 && size > 0 && _uncommittedSize + size > cap)
        {
            return ProposeStatus.TooManyUncommitted;
        }

        return ProposeStatus.Accepted;
    }

    private ulong AppendEntry(EntryType type, ReadOnlyMemory<byte> data)
    {
        var index = _log.LastIndex + 1;
        _log.Append(new Entry(Term, index, type, data));
        _uncommittedSize += (ulong)data.Length;
        _tracker.Get(Id)?.MaybeUpdate(index);
        if (MaybeCommit())
        {
            OnCommitAdvanced();
        }

        return index;
    }

    private void BecomeLeader()
    {
        _step = _stepLeader;
        _tick = _tickLeader;
        Reset(Term);
        Leader = Id;
        Role = RaftRole.Leader;
        _tracker.Get(Id)?.BecomeReplicate();
        // The no-op of the new term: committing it commits everything before it (§5.4.2) and enables ReadIndex.
        AppendEntry(EntryType.Normal, ReadOnlyMemory<byte>.Empty);
        // Configuration changes may sit uncommitted in the log we inherit, and a leader must commit an entry of its own
        // term before it changes the configuration (the single-server change fix, thesis §4.1 erratum): no new change
        // until the no-op, and so everything before it, is applied.
        _pendingConfIndex = _log.LastIndex;
    }

    private void TickLeader()
    {
        _heartbeatElapsed++;
        _electionElapsed++;
        if (_electionElapsed >= _config.ElectionTicks)
        {
            _electionElapsed = 0;
            if (_config.CheckQuorum)
            {
                if (!_tracker.QuorumActive(Id))
                {
                    BecomeFollower(Term, 0);
                    return;
                }

                foreach (var (id, pr) in _tracker.All)
                {
                    if (id != Id)
                    {
                        pr.RecentActive = false;
                    }
                }
            }

            // A transfer that has not completed within an election timeout is abandoned.
            LeadTransferee = 0;
        }

        RetryStalledSnapshots();

        if (_heartbeatElapsed >= _config.HeartbeatTicks)
        {
            _heartbeatElapsed = 0;
            BroadcastHeartbeat();
        }
    }

    /// <summary>
    /// A follower left in the snapshot state for two election timeouts (the snapshot was probably lost: the transport
    /// need not report it) is probed again, which sends the snapshot again if it still needs one.
    /// </summary>
    private void RetryStalledSnapshots()
    {
        foreach (var (id, pr) in _tracker.All)
        {
            if (id != Id && pr.State == ProgressState.Snapshot && ++pr.SnapshotTicks >= 2 * _config.ElectionTicks)
            {
                pr.BecomeProbe();
            }
        }
    }

    private void StepLeader(Message m)
    {
        switch (m.Type)
        {
            case MessageType.ReadIndex:
                HandleReadIndexRequest(m.From, m.Context);
                return;
            case MessageType.TransferLeader:
                HandleTransferLeader(m.Index);
                return;
            case MessageType.AppendResponse:
                HandleAppendResponse(m);
                return;
            case MessageType.HeartbeatResponse:
                HandleHeartbeatResponse(m);
                return;
            default:
                return;
        }
    }

    private void HandleAppendResponse(Message m)
    {
        if (!_tracker.All.TryGetValue(m.From, out var pr))
        {
            return;
        }

        pr.RecentActive = true;
        if (m.Reject)
        {
            var nextProbe = m.RejectHint;
            if (m.LogTerm > 0)
            {
                // Skip every entry of ours whose term exceeds the follower's term at the hint: they cannot match.
                nextProbe = _log.FindConflictByTerm(m.RejectHint, m.LogTerm).Index;
            }

            if (pr.MaybeDecreaseTo(m.Index, nextProbe))
            {
                if (pr.State == ProgressState.Replicate)
                {
                    pr.BecomeProbe();
                }

                TrySendAppend(m.From, pr, sendIfEmpty: true);
            }

            return;
        }

        // In the snapshot state, an acknowledgement at or past the snapshot (even of an index-0 snapshot to a blank
        // replica) means it was installed.
        var snapshotInstalled = pr.State == ProgressState.Snapshot && m.Index >= pr.PendingSnapshot;
        if (!pr.MaybeUpdate(m.Index) && !(pr.Match == m.Index && pr.State == ProgressState.Probe) && !snapshotInstalled)
        {
            return;
        }

        switch (pr.State)
        {
            case ProgressState.Probe:
                pr.BecomeReplicate();
                break;
            case ProgressState.Snapshot when snapshotInstalled || pr.Match + 1 >= _log.FirstIndex:
                pr.BecomeProbe();
                pr.BecomeReplicate();
                break;
            case ProgressState.Replicate:
                pr.Inflights.FreeUpTo(m.Index);
                break;
        }

        var committed = MaybeCommit();

        // Stream what the follower lacks (the window may have just opened); these Appends carry the commit index too.
        while (TrySendAppend(m.From, pr, sendIfEmpty: false))
        {
        }

        if (committed)
        {
            OnCommitAdvanced();
        }
        else if (Math.Min(_log.Committed, pr.Match) > pr.CommitSent)
        {
            // A follower that was behind now holds committed entries it has not been told are committed.
            _commitToAnnounce = true;
        }

        if (m.From == LeadTransferee && pr.Match == _log.LastIndex)
        {
            SendTimeoutNow(m.From);
        }
    }

    private void HandleHeartbeatResponse(Message m)
    {
        if (!_tracker.All.TryGetValue(m.From, out var pr))
        {
            return;
        }

        pr.RecentActive = true;
        pr.ProbeSent = false;
        if (pr.State == ProgressState.Replicate && pr.Inflights.IsFull)
        {
            pr.Inflights.FreeFirst();
        }

        if (pr.Match < _log.LastIndex)
        {
            TrySendAppend(m.From, pr, sendIfEmpty: true);
        }

        if (m.Context.Length > 0 && _reads.Ack(m.From, m.Context.Span))
        {
            MaybeCompleteReadRound();
        }
    }

    private bool MaybeCommit() => _log.MaybeCommit(_tracker.CommittedIndex(), Term);

    private void OnCommitAdvanced()
    {
        TryStartReadRound();
        _commitToAnnounce = true;
    }

    private bool CommitAnnouncementDue()
    {
        if (Role != RaftRole.Leader)
        {
            return false;
        }

        var committed = _log.Committed;
        foreach (var (id, pr) in _tracker.All)
        {
            if (id != Id && Math.Min(committed, pr.Match) > pr.CommitSent && pr.State != ProgressState.Snapshot)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Tells each replica that holds newly committed entries about the new commit index, unless what was already sent
    /// to it carries it (Raft §5.3 lets the commit ride on later Appends, but followers should apply, and serve reads,
    /// promptly, and a leader that removes itself must announce the commit of its own removal). The Append is empty and
    /// anchored at the replica's match, which it is known to hold, so it can neither be rejected nor disturb the
    /// pipeline. Done when the Ready is collected rather than inside Step, so that Appends sent meanwhile (which carry
    /// the commit index too) make it unnecessary, and acknowledging an Append allocates nothing.
    /// </summary>
    private void AnnounceCommit()
    {
        _commitToAnnounce = false;
        if (Role != RaftRole.Leader)
        {
            return;
        }

        var committed = _log.Committed;
        foreach (var (id, pr) in _tracker.All)
        {
            var commit = Math.Min(committed, pr.Match);
            if (id == Id || commit <= pr.CommitSent || pr.State == ProgressState.Snapshot || !_log.TryTerm(pr.Match, out var matchTerm))
            {
                continue;
            }

            Send(new Message { From = Id, Type = MessageType.Append, To = id, Term = Term, Index = pr.Match, LogTerm = matchTerm, Commit = commit });
            pr.CommitSent = commit;
        }
    }

    private void BroadcastAppend()
    {
        foreach (var (id, pr) in _tracker.All)
        {
            if (id != Id)
            {
                TrySendAppend(id, pr, sendIfEmpty: true);
            }
        }
    }

    private void BroadcastHeartbeat()
    {
        var context = _reads.RoundContext;
        foreach (var (id, pr) in _tracker.All)
        {
            if (id != Id)
            {
                // Never tell a follower to commit beyond what it is known to hold.
                var commit = Math.Min(pr.Match, _log.Committed);
                pr.CommitSent = Math.Max(pr.CommitSent, commit);
                Send(new Message { From = Id, Type = MessageType.Heartbeat, To = id, Term = Term, Commit = commit, Context = context });
            }
        }
    }

    /// <summary>Sends <paramref name="to"/> the entries it lacks (or a snapshot when they were compacted). Returns true if something was sent.</summary>
    private bool TrySendAppend(ulong to, Progress pr, bool sendIfEmpty)
    {
        if (pr.IsPaused)
        {
            return false;
        }

        var lastIndex = _log.LastIndex;
        if (!sendIfEmpty && pr.Next > lastIndex)
        {
            return false;
        }

        if (pr.Next < _log.FirstIndex || !_log.TryTerm(pr.Next - 1, out var prevTerm))
        {
            return TrySendSnapshot(to, pr);
        }

        var entries = _log.EntriesFrom(pr.Next, _config.MaxSizePerMsg);
        if (entries.Count == 0 && !sendIfEmpty)
        {
            return false;
        }

        Send(new Message
        {
            From = Id,
            Type = MessageType.Append,
            To = to,
            Term = Term,
            Index = pr.Next - 1,
            LogTerm = prevTerm,
            Entries = entries,
            Commit = _log.Committed,
        });
        var lastSent = entries.Count > 0 ? entries[^1].Index : pr.Next - 1;
        pr.CommitSent = Math.Max(pr.CommitSent, Math.Min(_log.Committed, lastSent));
        pr.SentEntries(entries.Count, lastSent);
        return true;
    }

    private bool TrySendSnapshot(ulong to, Progress pr)
    {
        if (!pr.RecentActive)
        {
            return false;
        }

        // The snapshot at index 0 of a new cluster holds no state but the initial configuration, which is what a blank
        // replica needs; without any configuration there is nothing to send.
        var snapshot = _log.Snapshot();
        if (snapshot.IsEmpty && snapshot.Metadata.ConfState.Voters.Count == 0)
        {
            return false;
        }

        Send(new Message { From = Id, Type = MessageType.InstallSnapshot, To = to, Term = Term, Snapshot = snapshot });
        pr.BecomeSnapshot(snapshot.Metadata.Index);
        return true;
    }

    private void HandleTransferLeader(ulong transferee)
    {
        if (_tracker.Get(transferee) is not { IsLearner: false } pr)
        {
            return;
        }

        if (LeadTransferee != 0)
        {
            if (LeadTransferee == transferee)
            {
                return;
            }

            LeadTransferee = 0;
        }

        if (transferee == Id)
        {
            return;
        }

        // The transfer must complete within one election timeout.
        _electionElapsed = 0;
        LeadTransferee = transferee;
        if (pr.Match == _log.LastIndex)
        {
            SendTimeoutNow(transferee);
        }
        else
        {
            TrySendAppend(transferee, pr, sendIfEmpty: true);
        }
    }

    private void SendTimeoutNow(ulong to) => Send(new Message { From = Id, Type = MessageType.TimeoutNow, To = to, Term = Term });

    private void HandleReadIndexRequest(ulong requester, ReadOnlyMemory<byte> context)
    {
        if (_tracker.Voters.Count == 1 && _tracker.IsVoter(Id))
        {
            // Alone: our commit index is authoritative once we have committed in this term.
            if (_log.Term(_log.Committed) == Term)
            {
                RespondToRead(requester, _log.Committed, context);
                return;
            }
        }

        _reads.Add(requester, context);
        TryStartReadRound();
    }

    /// <summary>Starts a heartbeat round for the waiting reads, unless one is in flight or we have not committed in this term yet.</summary>
    private void TryStartReadRound()
    {
        if (!_reads.HasWaiting || _reads.RoundActive || _log.Term(_log.Committed) != Term)
        {
            return;
        }

        _reads.StartRound(_log.Committed, Id);
        if (!MaybeCompleteReadRound())
        {
            BroadcastHeartbeat();
        }
    }

    private bool MaybeCompleteReadRound()
    {
        var acks = 0;
        foreach (var id in _tracker.Voters)
        {
            if (_reads.HasAck(id))
            {
                acks++;
            }
        }

        if (acks < _tracker.Quorum)
        {
            return false;
        }

        var index = _reads.RoundIndex;
        var reads = _reads.RoundReads;
        for (var i = 0; i < reads.Count; i++)
        {
            RespondToRead(reads[i].Requester, index, reads[i].Context);
        }

        _reads.EndRound();
        TryStartReadRound();
        return true;
    }

    private void RespondToRead(ulong requester, ulong index, ReadOnlyMemory<byte> context)
    {
        if (requester == Id)
        {
            _readStates.Add(new ReadState(index, context));
        }
        else
        {
            Send(new Message { From = Id, Type = MessageType.ReadIndexResponse, To = requester, Term = Term, Index = index, Context = context });
        }
    }
}
