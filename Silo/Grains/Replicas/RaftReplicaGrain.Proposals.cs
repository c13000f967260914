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

    /// <summary>Leadership confirmations waiting for their ReadIndex round, by context.</summary>
    private readonly Dictionary<ulong, TaskCompletionSource<ReadConfirmation>> _readWaiters = [];
    private ulong _nextReadContext;

    public async Task<ProposeReply> ProposeAsync(KvCommand[] commands, TimeSpan budget)
    {
        if (_halted is not null)
        {
            return Reply(Enumerable.Repeat(KvOutcome.Failed(KvError.Stopped), commands.Length).ToArray());
        }

        if (_node.Role != RaftRole.Leader || _sequencer is null)
        {
            return Reply(Enumerable.Repeat(NotLeaderOutcome(), commands.Length).ToArray());
        }

        if (_node.Commit - _appliedIndex > MaxCommittedButNotApplied)
        {
            return Reply(Enumerable.Repeat(KvOutcome.Failed(KvError.TooManyRequests), commands.Length).ToArray());
        }

        // One quorum round confirms this leadership for every answer of the batch that changes nothing.
        Task<ReadConfirmation>? confirmation = null;
        var pending = new Task<KvOutcome>[commands.Length];
        for (var i = 0; i < commands.Length; i++)
        {
            pending[i] = Sequence(commands[i], ref confirmation);
        }

        Kick();
        var all = Task.WhenAll(pending);
        var outcomes = await CompletesWithinAsync(all, budget)
            ? await all
            : pending.Select(p => p.IsCompletedSuccessfully ? p.Result : KvOutcome.Failed(KvError.Timeout)).ToArray();
        return Reply(await BoundReplyAsync(outcomes));
    }

    /// <summary>
    /// Keeps the reply within <see cref="ReplyBuffer.ChunkBytes"/>: answers past that (large read-only txns) go into
    /// reply buffers of their own, which the gateway reads in chunks.
    /// </summary>
    private async Task<KvOutcome[]> BoundReplyAsync(KvOutcome[] outcomes)
    {
        long inline = 0;
        for (var i = 0; i < outcomes.Length; i++)
        {
            if (outcomes[i].Response is not { } response)
            {
                continue;
            }

            inline += response.Length;
            if (inline > ReplyBuffer.ChunkBytes)
            {
                inline -= response.Length;
                outcomes[i] = outcomes[i] with { Response = null, Buffered = await ReplyBuffer.StoreAsync(GrainFactory, response) };
            }
        }

        return outcomes;
    }

    /// <summary>The answer of a wait that only needs the index applied.</summary>
    private static readonly KvOutcome Applied = KvOutcome.Ok([], 0);

    private ProposeReply Reply(KvOutcome[] outcomes) => new(outcomes, _node.Leader, _node.Term);

    private KvOutcome NotLeaderOutcome() => KvOutcome.Failed(_node.Leader == 0 || _node.Leader == _id ? KvError.NoLeader : KvError.NotLeader);

    /// <summary>The header identity of an answer this replica gives now.</summary>
    private HeaderStamp Stamp => new(ClusterId, _id, _node.Term);

    /// <summary>
    /// Resolves one request on the speculative state. A write is proposed and answered once applied. A request that
    /// writes nothing was answered from the speculative state, which may hold effects that never commit (this leader
    /// may already be deposed): it is answered only once the last entry it saw commits as the very entry it saw, and
    /// once a quorum round that began after it has confirmed this leadership.
    /// </summary>
    private Task<KvOutcome> Sequence(KvCommand command, ref Task<ReadConfirmation>? confirmation)
    {
        var sequencer = _sequencer;
        if (sequencer is null || _node.Role != RaftRole.Leader)
        {
            return Task.FromResult(NotLeaderOutcome());
        }

        var resolution = sequencer.Resolve(Decode(command));
        if (resolution.IsError || resolution.Effect is null)
        {
            // Errors too are answers from the speculative state (lease not found because of a pending revoke, ...).
            var answer = resolution.IsError
                ? KvOutcome.Failed(KvErrors.From(resolution.Error))
                : KvOutcome.Ok(ProtoMapper.Encode(resolution.Response!, Stamp), resolution.Response!.Revision);
            confirmation ??= ConfirmLeadership();
            var seenIndex = _node.LastIndex;
            return AnswerOnceCommittedAsync(confirmation, seenIndex, _node.TermAt(seenIndex), answer);
        }

        var effect = resolution.Effect;
        var response = KvOutcome.Ok(ProtoMapper.Encode(resolution.Response!, Stamp), resolution.Response!.Revision);
        var proposed = _node.Propose(EffectCodec.Encode(effect));
        if (!proposed.IsAccepted)
        {
            // The speculative state now holds an effect that will never commit: start over from the applied state.
            StartSequencing();
            return Task.FromResult(KvOutcome.Failed(proposed.Status == ProposeStatus.NotLeader ? KvError.LeaderChanged : KvError.TooManyRequests));
        }

        return WaitApplied(proposed.Index, proposed.Term, response);
    }

    private async Task<KvOutcome> AnswerOnceCommittedAsync(Task<ReadConfirmation> confirmation, ulong seenIndex, ulong seenTerm, KvOutcome answer)
    {
        var confirmed = await confirmation;
        if (confirmed.Error != KvError.None)
        {
            return KvOutcome.Failed(confirmed.Error);
        }

        // The state seen is committed once the entry seen is applied as seen; a read index above it (reads confirmed in a
        // later round) adds nothing the answer depends on.
        return await WaitApplied(seenIndex, seenTerm, answer);
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
    /// Completes with <paramref name="answer"/> once <paramref name="index"/> is applied, provided the entry applied
    /// there is the one expected (same term; 0 = any), else with "leader changed".
    /// </summary>
    private Task<KvOutcome> WaitApplied(ulong index, ulong term, KvOutcome answer)
    {
        if (index <= _appliedIndex)
        {
            var ours = term == 0 || _node.TermAt(index) == term;
            return Task.FromResult(ours ? answer : KvOutcome.Failed(KvError.LeaderChanged));
        }

        var waiter = new ApplyWaiter(term, answer);
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
                waiter.Completion.TrySetResult(ours ? waiter.Answer : KvOutcome.Failed(KvError.LeaderChanged));
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
        FailReadWaiters(error);
    }

    /// <summary>
    /// Fails every pending leadership confirmation: called when this replica stops leading, since the core drops the
    /// reads of a term that ended. Waiters for proposed entries stay: their entries may still commit.
    /// </summary>
    private void FailReadWaiters(KvError error)
    {
        foreach (var read in _readWaiters.Values)
        {
            read.TrySetResult(new ReadConfirmation(error, 0));
        }

        _readWaiters.Clear();
    }

    /// <summary>
    /// Starts a ReadIndex round: completes with the commit index once a quorum has confirmed this replica still
    /// leads, after this call; or with "leader changed" if it stops leading first.
    /// </summary>
    private Task<ReadConfirmation> ConfirmLeadership()
    {
        var context = ++_nextReadContext;
        var contextBytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(contextBytes, context);
        var completion = new TaskCompletionSource<ReadConfirmation>(TaskCreationOptions.RunContinuationsAsynchronously);
        _readWaiters[context] = completion;
        if (_node.Role != RaftRole.Leader || !_node.ReadIndex(contextBytes))
        {
            _readWaiters.Remove(context);
            completion.TrySetResult(new ReadConfirmation(KvError.LeaderChanged, 0));
        }

        return completion.Task;
    }

    public async Task<ReadBarrier> ReadIndexAsync(TimeSpan budget)
    {
        if (_halted is not null)
        {
            return new ReadBarrier(KvError.Stopped, 0, 0, 0, _node.Term);
        }

        if (_node.Role != RaftRole.Leader)
        {
            return new ReadBarrier(NotLeaderOutcome().Error, 0, 0, _node.Leader, _node.Term);
        }

        var deadline = DateTime.UtcNow + budget;
        var confirmation = ConfirmLeadership();
        Kick();
        if (!await CompletesWithinAsync(confirmation, budget))
        {
            return new ReadBarrier(KvError.Timeout, 0, 0, _node.Leader, _node.Term);
        }

        var (error, readIndex) = confirmation.Result;
        if (error == KvError.None && _appliedIndex < readIndex)
        {
            var applied = WaitApplied(readIndex, term: 0, Applied);
            error = !await CompletesWithinAsync(applied, LeaderRouter.TimeLeft(deadline)) ? KvError.Timeout : applied.Result.Error;
        }

        // Everything committed before the read began is applied here and in the range grains at this revision.
        return error == KvError.None
            ? new ReadBarrier(KvError.None, _appliedIndex, _appliedRevision, _id, _node.Term)
            : new ReadBarrier(error, 0, 0, _node.Leader, _node.Term);
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
                waiter.TrySetResult(new ReadConfirmation(KvError.None, state.Index));
            }
        }
    }

    /// <summary>The outcome of a leadership confirmation: the commit index it confirmed, or why it failed.</summary>
    private readonly record struct ReadConfirmation(KvError Error, ulong Index);

    private sealed class ApplyWaiter(ulong term, KvOutcome answer)
    {
        public ulong Term { get; } = term;

        public KvOutcome Answer { get; } = answer;

        public TaskCompletionSource<KvOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
