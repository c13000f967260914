using System.Buffers.Binary;
using EtcdOrleans.Contracts;
using EtcdOrleans.Grains.Kv;
using EtcdOrleans.Mvcc;
using EtcdOrleans.Raft;
using Google.Protobuf;
using Rpc = EtcdOrleans.Protos.Etcdserverpb;

namespace EtcdOrleans.Grains.Replicas;

/// <summary>Client requests at the leader: sequencing, proposing, waiting for apply; and read barriers.</summary>
public sealed partial class RaftReplicaGrain
{
    /// <summary>etcd's backpressure: refuse new proposals while applying lags commit by more than this many entries.</summary>
    private const ulong MaxCommittedButNotApplied = 5000;

    /// <summary>Proposals waiting for their log index to be applied, in index order.</summary>
    private readonly SortedDictionary<ulong, List<ApplyWaiter>> _applyWaiters = [];

    /// <summary>Read barriers waiting for their ReadIndex round, by context.</summary>
    private readonly Dictionary<ulong, TaskCompletionSource<ulong>> _readWaiters = [];
    private ulong _nextReadContext;

    public async Task<ProposeReply> ProposeAsync(KvCommand[] commands)
    {
        if (_node.Role != RaftRole.Leader || _sequencer is null)
        {
            return Reply(Enumerable.Repeat(NotLeaderOutcome(), commands.Length).ToArray());
        }

        if (_node.Commit - _appliedIndex > MaxCommittedButNotApplied)
        {
            return Reply(Enumerable.Repeat(KvOutcome.Failed(KvError.TooManyRequests), commands.Length).ToArray());
        }

        var pending = new Task<KvOutcome>[commands.Length];
        for (var i = 0; i < commands.Length; i++)
        {
            pending[i] = Sequence(commands[i]);
        }

        Kick();
        var all = Task.WhenAll(pending);
        if (!await CompletesWithinAsync(all, timing.Value.RequestTimeout))
        {
            return Reply(pending.Select(p => p.IsCompletedSuccessfully ? p.Result : KvOutcome.Failed(KvError.Timeout)).ToArray());
        }

        return Reply(await all);
    }

    private ProposeReply Reply(KvOutcome[] outcomes) => new(outcomes, _node.Leader, _node.Term);

    private KvOutcome NotLeaderOutcome() => KvOutcome.Failed(_node.Leader == 0 || _node.Leader == _id ? KvError.NoLeader : KvError.NotLeader);

    /// <summary>Resolves one request on the speculative state and proposes its effect; completes once applied.</summary>
    private Task<KvOutcome> Sequence(KvCommand command)
    {
        var sequencer = _sequencer;
        if (sequencer is null || _node.Role != RaftRole.Leader)
        {
            return Task.FromResult(NotLeaderOutcome());
        }

        var resolution = sequencer.Resolve(Decode(command));
        if (resolution.IsError)
        {
            return Task.FromResult(KvOutcome.Failed(KvErrors.From(resolution.Error)));
        }

        var response = ProtoMapper.Encode(resolution.Response!);
        if (resolution.Effect is not { } effect)
        {
            // Nothing to replicate, but the answer reflects every effect proposed so far: wait for all of them.
            return WaitApplied(_node.LastIndex, term: 0, response);
        }

        var proposed = _node.Propose(EffectCodec.Encode(effect));
        if (!proposed.IsAccepted)
        {
            // The speculative state now holds an effect that will never commit: start over from the applied state.
            StartSequencing();
            return Task.FromResult(KvOutcome.Failed(proposed.Status == ProposeStatus.NotLeader ? KvError.LeaderChanged : KvError.TooManyRequests));
        }

        return WaitApplied(proposed.Index, proposed.Term, response);
    }

    private static MvccRequest Decode(KvCommand command) => command.Operation switch
    {
        KvOperation.Put => ProtoMapper.ToMvcc(Rpc.PutRequest.Parser.ParseFrom(command.Request)),
        KvOperation.DeleteRange => ProtoMapper.ToMvcc(Rpc.DeleteRangeRequest.Parser.ParseFrom(command.Request)),
        KvOperation.Txn => ProtoMapper.ToMvcc(Rpc.TxnRequest.Parser.ParseFrom(command.Request)),
        KvOperation.Compact => ProtoMapper.ToMvcc(Rpc.CompactionRequest.Parser.ParseFrom(command.Request)),
        KvOperation.Range => ProtoMapper.ToMvcc(Rpc.RangeRequest.Parser.ParseFrom(command.Request)),
        KvOperation.LeaseGrant => ProtoMapper.ToMvcc(Rpc.LeaseGrantRequest.Parser.ParseFrom(command.Request)),
        KvOperation.LeaseRevoke => ProtoMapper.ToMvcc(Rpc.LeaseRevokeRequest.Parser.ParseFrom(command.Request)),
        _ => throw new ArgumentOutOfRangeException(nameof(command), command.Operation, null),
    };

    /// <summary>
    /// Completes with <paramref name="response"/> once <paramref name="index"/> is applied, provided the entry applied
    /// there is the one proposed (same term; 0 = any), else with "leader changed".
    /// </summary>
    private Task<KvOutcome> WaitApplied(ulong index, ulong term, byte[] response)
    {
        if (index <= _appliedIndex && term == 0)
        {
            return Task.FromResult(KvOutcome.Ok(response));
        }

        var waiter = new ApplyWaiter(term, response);
        if (!_applyWaiters.TryGetValue(index, out var list))
        {
            list = [];
            _applyWaiters[index] = list;
        }

        list.Add(waiter);
        return waiter.Completion.Task;
    }

    /// <summary>Answers every waiter whose index is now applied (called after the range grains have the effects).</summary>
    private void CompleteApplied(IReadOnlyList<Entry> applied)
    {
        var lastApplied = applied[^1].Index;
        while (_applyWaiters.Count > 0)
        {
            var (index, waiters) = _applyWaiters.First();
            if (index > lastApplied)
            {
                break;
            }

            _applyWaiters.Remove(index);
            var entryTerm = index >= applied[0].Index ? applied[(int)(index - applied[0].Index)].Term : 0;
            foreach (var waiter in waiters)
            {
                var ours = waiter.Term == 0 || waiter.Term == entryTerm;
                waiter.Completion.TrySetResult(ours ? KvOutcome.Ok(waiter.Response) : KvOutcome.Failed(KvError.LeaderChanged));
            }
        }
    }

    private void FailAllWaiters(KvError error)
    {
        foreach (var waiters in _applyWaiters.Values)
        {
            foreach (var waiter in waiters)
            {
                waiter.Completion.TrySetResult(KvOutcome.Failed(error));
            }
        }

        _applyWaiters.Clear();
        foreach (var read in _readWaiters.Values)
        {
            read.TrySetCanceled();
        }

        _readWaiters.Clear();
    }

    public async Task<ReadBarrier> ReadIndexAsync()
    {
        if (_node.Role != RaftRole.Leader)
        {
            return new ReadBarrier(NotLeaderOutcome().Error, 0, 0, _node.Leader, _node.Term);
        }

        var context = ++_nextReadContext;
        var contextBytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(contextBytes, context);
        var completion = new TaskCompletionSource<ulong>(TaskCreationOptions.RunContinuationsAsynchronously);
        _readWaiters[context] = completion;
        _node.ReadIndex(contextBytes);
        Kick();

        if (!await CompletesWithinAsync(completion.Task, timing.Value.RequestTimeout) || !completion.Task.IsCompletedSuccessfully)
        {
            _readWaiters.Remove(context);
            return new ReadBarrier(KvError.Timeout, 0, 0, _node.Leader, _node.Term);
        }

        var readIndex = completion.Task.Result;
        if (_appliedIndex < readIndex)
        {
            var applied = await WaitApplied(readIndex, term: 0, []);
            if (applied.Error != KvError.None)
            {
                return new ReadBarrier(applied.Error, 0, 0, _node.Leader, _node.Term);
            }
        }

        // Everything committed before the read began is applied here and in the range grains at this revision.
        return new ReadBarrier(KvError.None, _appliedIndex, _appliedRevision, _id, _node.Term);
    }

    /// <summary>
    /// True when <paramref name="task"/> completes (in any state) within <paramref name="timeout"/>. Unlike racing a
    /// <see cref="Task.Delay(TimeSpan)"/>, the timer goes away as soon as the task completes: no timer per request
    /// lingers for the whole timeout.
    /// </summary>
    private static async Task<bool> CompletesWithinAsync(Task task, TimeSpan timeout)
    {
        try
        {
            await task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (Exception)
        {
            // Faulted or canceled: completed; the caller reads the task's state.
        }

        return true;
    }

    private void CompleteReads(IReadOnlyList<ReadState> readStates)
    {
        foreach (var state in readStates)
        {
            var context = BinaryPrimitives.ReadUInt64LittleEndian(state.Context.Span);
            if (_readWaiters.Remove(context, out var waiter))
            {
                waiter.TrySetResult(state.Index);
            }
        }
    }

    private sealed class ApplyWaiter(ulong term, byte[] response)
    {
        public ulong Term { get; } = term;

        public byte[] Response { get; } = response;

        public TaskCompletionSource<KvOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
