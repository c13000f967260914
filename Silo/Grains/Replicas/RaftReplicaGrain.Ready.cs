using EtcdOrleans.Contracts;
using EtcdOrleans.Mvcc;
using EtcdOrleans.Raft;
using EtcdOrleans.Grains.Kv;
using EtcdOrleans.Grains.Watch;
using Google.Protobuf;
using Rpc = EtcdOrleans.Protos.Etcdserverpb;

namespace EtcdOrleans.Grains.Replicas;

/// <summary>The ready loop: persist, then send, then apply, then advance — the order is the core's contract.</summary>
public sealed partial class RaftReplicaGrain
{
    private bool _readyLoopRunning;

    /// <summary>The term the sequencer was started in: a sequencer never outlives its term.</summary>
    private ulong _sequencerTerm;

    /// <summary>Starts the ready loop if the core has work and the loop is not already running.</summary>
    private void Kick()
    {
        if (_readyLoopRunning || _halted is not null || !_node.HasReady)
        {
            return;
        }

        _readyLoopRunning = true;
        _ = RunReadyLoopAsync();
    }

    private async Task RunReadyLoopAsync()
    {
        try
        {
            while (_node.HasReady)
            {
                await HandleReadyAsync(_node.GetReady());
            }
        }
        catch (ApplyFailedException e)
        {
            // Every activation would fail at the same entry: stop here, say why, and let the others go on without us.
            _halted = e.Message;
            health.Halted(_id, e.Message);
            LogReplicaHalted(e, _id, e.Index);
            _sequencer = null;
            DemoteLessor();
            FailAllWaiters(KvError.Stopped);
        }
        catch (Exception e)
        {
            // Persisting failed or the state diverged: this activation must not go on. A fresh one recovers from disk.
            LogReadyLoopFailed(e, _id);
            FailAllWaiters(KvError.Stopped);
            DeactivateOnIdle();
        }
        finally
        {
            _readyLoopRunning = false;
        }
    }

    private async Task HandleReadyAsync(Ready ready)
    {
        var becameLeader = false;
        if (_sequencer is not null && _sequencerTerm != _node.Term)
        {
            // Deposed and elected again between two Readies (no role change to see): the speculative state of the old
            // term may hold effects the new term truncated, and the core dropped the old term's reads.
            _sequencer = null;
            DemoteLessor();
            FailReadWaiters(KvError.LeaderChanged);
            becameLeader = _node.Role == RaftRole.Leader;
        }

        if (ready.SoftState is { } soft)
        {
            becameLeader = soft.Role == RaftRole.Leader && _sequencer is null;
            if (soft.Role != RaftRole.Leader)
            {
                _sequencer = null;
                DemoteLessor();
                FailReadWaiters(KvError.LeaderChanged);
            }

            LogRoleChanged(_id, soft.Role, _node.Term, soft.Leader);
        }

        if (ready.Snapshot is { } snapshot)
        {
            await InstallSnapshotAsync(snapshot);
        }

        if (ready.Entries.Count > 0 || ready.MustSync)
        {
            await _log.SaveAsync(ready.HardState, ready.Entries);
        }

        if (ready.Entries.Count > 0)
        {
            _storage.Append(ready.Entries);
        }

        if (ready.HardState is { } hardState)
        {
            _storage.SetHardState(hardState);
        }

        Send(ready.Messages);
        if (becameLeader && _node.Role == RaftRole.Leader)
        {
            StartSequencing();
        }

        CompleteReads(ready.ReadStates);
        if (ready.CommittedEntries.Count > 0)
        {
            Apply(ready.CommittedEntries);
            MaybeSnapshot();
        }

        _node.Advance(ready);
    }

    /// <summary>
    /// Sends each peer its messages in one-way grain calls of at most <see cref="RaftMessageCodec.MaxCallBytes"/> each
    /// (a message larger than that alone goes in a call of its own): an Orleans message over its size limit closes
    /// the connection, and a follower that lags would then never catch up.
    /// </summary>
    private void Send(IReadOnlyList<Message> messages)
    {
        if (messages.Count == 0)
        {
            return;
        }

        foreach (var group in messages.GroupBy(m => m.To))
        {
            var peer = group.Key;
            if (links.IsCut(_id, peer))
            {
                continue;
            }

            foreach (var call in RaftMessageCodec.EncodeCalls(group.Select(WithoutSnapshotData).ToList()))
            {
                try
                {
                    // One-way: the call returns once sent. A lost message is Raft's ordinary business.
                    _ = Peer(peer).StepAsync(call);
                }
                catch (Exception e)
                {
                    LogSendFailed(e, _id, peer);
                    _node.ReportUnreachable(peer);
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Applies committed entries in order to the applied state, queues the effects for the range grains, and answers
    /// the proposals they complete. A client that got its answer reads its own write: its read barrier is at or after
    /// the write's index, and range grains serve a read only once they have applied up to its barrier.
    /// </summary>
    private void Apply(IReadOnlyList<Entry> committed)
    {
        var firstIndex = committed[0].Index;
        var effects = new List<(byte[] Bytes, Effect Effect)>(committed.Count);
        var leading = _node.Role == RaftRole.Leader;
        List<ChangeRevision>? changes = null;
        long elidedThrough = 0;
        foreach (var entry in committed)
        {
            if (entry.Type == EntryType.ConfChange)
            {
                _confState = _node.ApplyConfChange(ConfChange.FromEntry(entry));
            }
            else if (!entry.Data.IsEmpty)
            {
                var bytes = entry.Data.ToArray();
                Effect effect;
                try
                {
                    effect = EffectCodec.Decode(bytes);
                    if (_state.Apply(effect) && effect.Kind == EffectKind.Compaction)
                    {
                        MemoryReclaimer.Compacted();
                    }
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    throw new ApplyFailedException(entry.Index, e);
                }

                if (effect.CreatesRevision)
                {
                    _appliedRevision = effect.Revision;
                    if (leading)
                    {
                        // Right after applying it: a compaction later in this batch must not take its history away.
                        var change = ChangeOf(effect.Revision);
                        if (change.Events.Length <= MaxPushedChangeBytes)
                        {
                            (changes ??= []).Add(change);
                        }
                        else
                        {
                            // Too large to push (it would hold up every message behind it on the way to the
                            // gateways): the hubs learn of the revision from a mark and read it from history.
                            elidedThrough = effect.Revision;
                        }
                    }
                }

                LeaseEffectApplied(effect);
                effects.Add((bytes, effect));
            }
            else
            {
                EmptyEntryApplied(entry);
            }

            _appliedIndex = entry.Index;
            _bytesSinceSnapshot += entry.Data.Length;
        }

        if (leading)
        {
            _applier.Deliver(firstIndex, _appliedIndex, _appliedRevision, _node.Term, effects);
            if (changes is not null || elidedThrough > 0)
            {
                _changes.Enqueue(_node.Term, changes ?? [], throughRevision: elidedThrough);
            }
        }

        CompleteApplied(committed);
    }

    /// <summary>The most bytes of one revision's events pushed to the change feed; larger ones are read from history.</summary>
    private const int MaxPushedChangeBytes = 4 * 1024 * 1024;

    /// <summary>The events of <paramref name="revision"/>, just applied, with previous key-values, for the change feed (watches).</summary>
    private ChangeRevision ChangeOf(long revision)
    {
        var events = new Rpc.WatchResponse();
        foreach (var watchEvent in _state.History(KeyRange.All, revision, revision, includePrevKv: true).Events)
        {
            events.Events.Add(ProtoMapper.ToProto(watchEvent));
        }

        return new ChangeRevision(revision, events.ToByteArray());
    }

    /// <summary>
    /// A new leader sequences on a copy of the applied state plus every effect already in its log after the
    /// applied index: those entries will commit under its leadership, so new effects must come after them.
    /// </summary>
    private void StartSequencing()
    {
        var pending = new List<Effect>();
        if (_storage.LastIndex > _appliedIndex)
        {
            foreach (var entry in _storage.Entries(_appliedIndex + 1, _storage.LastIndex + 1, ulong.MaxValue))
            {
                if (entry.Type == EntryType.Normal && !entry.Data.IsEmpty)
                {
                    pending.Add(EffectCodec.Decode(entry.Data.Span));
                }
            }
        }

        _sequencer = Sequencer.FromApplied(_state.Clone(), pending, MinLeaseTtl);
        _sequencerTerm = _node.Term;

        // Revisions this replica applied as a follower were the old leader's to publish, and its pushes may be lost:
        // say how far the store is, so that the hubs read anything they miss from history even if nothing else is written.
        _changes.Enqueue(_node.Term, [], throughRevision: _appliedRevision);
    }
}
