namespace EtcdOrleans.Raft;

/// <summary>The follower's behaviour: accepting the leader's log, commit and snapshots; forwarding requests.</summary>
public sealed partial class RaftNode
{
    private void StepFollower(Message m)
    {
        switch (m.Type)
        {
            case MessageType.Append:
                _electionElapsed = 0;
                Leader = m.From;
                HandleAppend(m);
                return;
            case MessageType.Heartbeat:
                _electionElapsed = 0;
                Leader = m.From;
                HandleHeartbeat(m);
                return;
            case MessageType.InstallSnapshot:
                _electionElapsed = 0;
                Leader = m.From;
                HandleSnapshot(m);
                return;
            case MessageType.TransferLeader when Leader != 0 && m.From != Leader:
                Send(new Message { From = Id, Type = MessageType.TransferLeader, To = Leader, Index = m.Index });
                return;
            case MessageType.TimeoutNow:
                // The leader hands over: campaign at once, without pre-vote, and voters ignore their lease.
                Hup(transfer: true);
                return;
            case MessageType.ReadIndexResponse:
                _readStates.Add(new ReadState(m.Index, m.Context));
                return;
            default:
                return;
        }
    }

    private void HandleAppend(Message m)
    {
        if (IsBlank)
        {
            // We know no configuration, so the log alone cannot tell us who the members are: ask for a snapshot by
            // rejecting down to index 0 (see Progress.MaybeDecreaseTo).
            FlushAppendAck();
            Send(new Message { From = Id, Type = MessageType.AppendResponse, To = m.From, Term = Term, Index = m.Index, Reject = true });
            return;
        }

        if (m.Index < _log.Committed)
        {
            AckAppend(m.From, _log.Committed);
            return;
        }

        if (_log.TryAppend(m.Index, m.LogTerm, m.Commit, m.Entries, out var lastNewIndex))
        {
            AckAppend(m.From, lastNewIndex);
            return;
        }

        // Keep the order of what the leader hears: acknowledgements first, then this rejection.
        FlushAppendAck();

        // Fast back-off: tell the leader the last index at or below the probe whose term can still match.
        var (hintIndex, hintTerm) = _log.FindConflictByTerm(Math.Min(m.Index, _log.LastIndex), m.LogTerm);
        Send(new Message
        {
            From = Id,
            Type = MessageType.AppendResponse,
            To = m.From,
            Term = Term,
            Index = m.Index,
            Reject = true,
            RejectHint = hintIndex,
            LogTerm = hintTerm,
        });
    }

    private void HandleHeartbeat(Message m)
    {
        _log.CommitTo(m.Commit);
        Send(new Message { From = Id, Type = MessageType.HeartbeatResponse, To = m.From, Term = Term, Context = m.Context });
    }

    private void HandleSnapshot(Message m)
    {
        FlushAppendAck();
        var index = m.Snapshot is { } snapshot && Restore(snapshot) ? _log.LastIndex : _log.Committed;
        Send(new Message { From = Id, Type = MessageType.AppendResponse, To = m.From, Term = Term, Index = index });
    }

    /// <summary>Adopts a snapshot from the leader when it is ahead of our commit; returns false when it is not needed.</summary>
    private bool Restore(Snapshot snapshot)
    {
        var meta = snapshot.Metadata;
        if (IsBlank)
        {
            // A replica added to a running cluster adopts whatever configuration the leader's snapshot holds (the log
            // after it adds us); only a snapshot without any configuration is useless.
            if (meta.ConfState.Voters.Count == 0)
            {
                return false;
            }

            _log.Restore(snapshot);
            _tracker.SetConfiguration(meta.ConfState, _log.LastIndex + 1);
            return true;
        }

        if (meta.Index <= _log.Committed)
        {
            return false;
        }

        if (!meta.ConfState.Voters.Contains(Id) && !meta.ConfState.Learners.Contains(Id))
        {
            // A snapshot whose configuration does not include us: we were removed, or it predates our addition.
            return false;
        }

        if (_log.MatchTerm(meta.Index, meta.Term))
        {
            // We already hold the snapshot's last entry, hence everything before it: just commit.
            _log.CommitTo(meta.Index);
            return false;
        }

        _log.Restore(snapshot);
        _tracker.SetConfiguration(meta.ConfState, _log.LastIndex + 1);
        return true;
    }

    /// <summary>
    /// Acknowledges accepted Appends lazily: all those accepted until the next <see cref="GetReady"/> are answered by one
    /// AppendResponse carrying the highest index (everything up to it matches the leader's log, since the leader of a
    /// term never contradicts itself). The answer leaves with the Ready that persists the entries, as an immediate one
    /// would, but a burst of pipelined Appends costs one response, and stepping an Append allocates nothing.
    /// </summary>
    private void AckAppend(ulong leader, ulong index)
    {
        if (_pendingAckTo != leader)
        {
            FlushAppendAck();
            _pendingAckTo = leader;
            _pendingAckIndex = index;
        }
        else if (index > _pendingAckIndex)
        {
            _pendingAckIndex = index;
        }
    }

    /// <summary>Sends the pending acknowledgement, if any (at <see cref="GetReady"/>, or before a message that must follow it).</summary>
    private void FlushAppendAck()
    {
        if (_pendingAckTo != 0)
        {
            Send(new Message { From = Id, Type = MessageType.AppendResponse, To = _pendingAckTo, Term = Term, Index = _pendingAckIndex });
            _pendingAckTo = 0;
            _pendingAckIndex = 0;
        }
    }

    /// <summary>True for a replica started from empty storage that has not yet learned any configuration.</summary>
    private bool IsBlank => _tracker.Voters.Count == 0 && _tracker.Learners.Count == 0;
}
