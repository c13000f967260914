namespace EtcdOrleans.Raft;

/// <summary>The host interface: handing out work (<see cref="Ready"/>), its acknowledgement, and configuration changes.</summary>
public sealed partial class RaftNode
{
    /// <summary>True when <see cref="GetReady"/> has something for the host to do.</summary>
    public bool HasReady =>
        !_readyOutstanding
        && (SoftState != _prevSoftState
            || HardState != _prevHardState
            || _log.Unstable.Snapshot is not null
            || _log.Unstable.Count > 0
            || _messages.Count > 0
            || _pendingAckTo != 0
            || (_commitToAnnounce && CommitAnnouncementDue())
            || _readStates.Count > 0
            || _log.HasNextCommittedEntries);

    /// <summary>
    /// Collects what the host must persist, send and apply (see <see cref="Ready"/> for the order). Call
    /// <see cref="Advance"/> with it before asking for the next one; Tick, Step and proposals may happen in between.
    /// </summary>
    public Ready GetReady()
    {
        if (_readyOutstanding)
        {
            throw new InvalidOperationException("the previous Ready has not been advanced");
        }

        FlushAppendAck();
        if (_commitToAnnounce)
        {
            AnnounceCommit();
        }

        var soft = SoftState;
        var hard = HardState;
        var entries = _log.Unstable.Count > 0 ? _log.Unstable.ToArray() : [];
        var messages = _messages;
        var readStates = _readStates;
        _messages = [];
        _readStates = [];
        _readyOutstanding = true;
        var hardChanged = hard != _prevHardState;
        return new Ready(
            soft != _prevSoftState ? soft : null,
            hardChanged ? hard : null,
            entries,
            _log.Unstable.Snapshot,
            _log.NextCommittedEntries(_config.MaxCommittedSizePerReady),
            messages,
            readStates,
            mustSync: entries.Length > 0 || hard.Term != _prevHardState.Term || hard.Vote != _prevHardState.Vote || _log.Unstable.Snapshot is not null);
    }

    /// <summary>
    /// Tells the node the host has persisted, sent and applied everything in <paramref name="ready"/>.
    /// </summary>
    public void Advance(Ready ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        if (!_readyOutstanding)
        {
            throw new InvalidOperationException("no Ready to advance");
        }

        _readyOutstanding = false;
        if (ready.SoftState is { } soft)
        {
            _prevSoftState = soft;
        }

        if (ready.HardState is { } hard)
        {
            _prevHardState = hard;
        }

        if (ready.Snapshot is { } snapshot)
        {
            _log.StableSnapshotTo(snapshot.Metadata.Index);
            _log.AppliedSnapshot(snapshot.Metadata.Index);
        }

        if (ready.Entries.Count > 0)
        {
            var last = ready.Entries[^1];
            _log.StableTo(last.Index, last.Term);
        }

        var committed = ready.CommittedEntries;
        if (committed.Count > 0)
        {
            _log.AppliedTo(committed[^1].Index);
            if (Role == RaftRole.Leader)
            {
                ulong size = 0;
                for (var i = 0; i < committed.Count; i++)
                {
                    size += (ulong)committed[i].Data.Length;
                }

                _uncommittedSize = size >= _uncommittedSize ? 0 : _uncommittedSize - size;
            }
        }
    }

    /// <summary>
    /// Applies a committed configuration change (call it while applying its entry, in log order, on every replica) and
    /// returns the resulting configuration, which the host records with its applied state. An invalid change (adding an
    /// existing voter, removing the last voter, ...) changes nothing. A leader that is no longer a voter steps down.
    /// </summary>
    public ConfState ApplyConfChange(ConfChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var changed = _tracker.Apply(change, _log.LastIndex + 1);
        if (changed && Role == RaftRole.Leader)
        {
            if (!_tracker.IsVoter(Id))
            {
                BecomeFollower(Term, 0);
            }
            else
            {
                if (LeadTransferee != 0 && !_tracker.IsVoter(LeadTransferee))
                {
                    LeadTransferee = 0;
                }

                // The quorum may have shrunk: commit and reads may be able to advance.
                if (MaybeCommit())
                {
                    OnCommitAdvanced();
                }

                if (_reads.RoundActive)
                {
                    MaybeCompleteReadRound();
                }

                if (change.Type != ConfChangeType.RemoveNode && _tracker.Get(change.NodeId) is { } pr && change.NodeId != Id)
                {
                    TrySendAppend(change.NodeId, pr, sendIfEmpty: true);
                }
            }
        }

        return _tracker.ToConfState();
    }
}
