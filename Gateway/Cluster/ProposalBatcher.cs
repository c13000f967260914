using System.Threading.Channels;
using EtcdOrleans.Contracts;
using EtcdOrleans.Gateway.Errors;
using Microsoft.Extensions.Options;

namespace EtcdOrleans.Gateway.Cluster;

/// <summary>
/// Coalesces concurrent client requests into few grain calls (the first layer of batching in DESIGN.md's write
/// path): whatever is queued when a call can start goes in one <see cref="IRaftReplicaGrain.ProposeAsync"/>, with a
/// bounded number of calls in flight. A lone request is sent at once, so batching adds no latency.
/// <para>Bounded everywhere: a call carries at most <see cref="MaxBatch"/> requests and <see cref="MaxBatchBytes"/>
/// (a larger request goes alone), far below Orleans' message size limit; the queue holds at most
/// <see cref="MaxQueued"/> requests and <see cref="MaxQueuedBytes"/>, beyond which requests get etcd's
/// "too many requests" at once. Each request keeps the deadline it arrived with; a call gets the earliest of its
/// batch.</para>
/// </summary>
internal sealed class ProposalBatcher : IAsyncDisposable
{
    private const int MaxBatch = 1024;
    private const int MaxBatchBytes = 4 * 1024 * 1024;
    private const int MaxCallsInFlight = 16;
    private const int MaxQueued = 20_000;
    private const long MaxQueuedBytes = 128L * 1024 * 1024;

    private readonly LeaderRouter _router;
    private readonly TimeSpan _timeout;
    private readonly Channel<PendingProposal> _queue = Channel.CreateUnbounded<PendingProposal>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _callSlots = new(MaxCallsInFlight);
    private readonly Task _sender;
    private int _queued;
    private long _queuedBytes;
    private PendingProposal? _carried;
    private long _acknowledgedRevision;

    public ProposalBatcher(LeaderRouter router, IOptions<GatewayOptions> options)
    {
        _router = router;
        _timeout = options.Value.RequestTimeout;
        _sender = Task.Run(SendQueuedAsync);
    }

    /// <summary>Queues <paramref name="command"/>; completes with its outcome, or throws <see cref="EtcdException"/>.</summary>
    public Task<KvOutcome> ProposeAsync(KvCommand command, CancellationToken cancellationToken)
    {
        var pending = new PendingProposal(command, DateTime.UtcNow + _timeout);
        var queued = Interlocked.Increment(ref _queued);
        var queuedBytes = Interlocked.Add(ref _queuedBytes, pending.Bytes);
        if (queued > MaxQueued || queuedBytes > MaxQueuedBytes)
        {
            Dequeued(pending);
            throw new EtcdException(EtcdErrorCode.TooManyRequests);
        }

        if (!_queue.Writer.TryWrite(pending))
        {
            Dequeued(pending);
            throw new EtcdException(EtcdErrorCode.Stopped);
        }

        return pending.Completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>The requests waiting in the queue (not yet sent).</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>
    /// The highest revision of an answer this gateway has given for a proposal: its serializable reads reflect at
    /// least this, so a client reads its own writes through the same gateway.
    /// </summary>
    public long AcknowledgedRevision => Interlocked.Read(ref _acknowledgedRevision);

    private void Dequeued(PendingProposal pending)
    {
        Interlocked.Decrement(ref _queued);
        Interlocked.Add(ref _queuedBytes, -pending.Bytes);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _sender.ConfigureAwait(false);
    }

    private async Task SendQueuedAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<PendingProposal>();
        while (_carried is not null || await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            await _callSlots.WaitAsync().ConfigureAwait(false);
            long bytes = 0;
            while (batch.Count < MaxBatch && (_carried is not null || reader.TryRead(out _carried)))
            {
                var pending = _carried!;
                if (batch.Count > 0 && bytes + pending.Bytes > MaxBatchBytes)
                {
                    // Starts the next call.
                    break;
                }

                _carried = null;
                Dequeued(pending);
                batch.Add(pending);
                bytes += pending.Bytes;
            }

            _ = SendAsync(batch.ToArray());
            batch.Clear();
        }
    }

    private async Task SendAsync(PendingProposal[] batch)
    {
        try
        {
            var commands = new KvCommand[batch.Length];
            var deadline = DateTime.MaxValue;
            for (var i = 0; i < batch.Length; i++)
            {
                commands[i] = batch[i].Command;
                deadline = batch[i].Deadline < deadline ? batch[i].Deadline : deadline;
            }

            var answered = await _router.CallLeaderAsync(
                (replica, budget) => replica.ProposeAsync(commands, budget),
                NothingProposedHint,
                deadline,
                idempotent: false).ConfigureAwait(false);
            if (answered is not { } reply)
            {
                FailAll(batch, new EtcdException(EtcdErrorCode.Timeout));
                return;
            }

            for (var i = 0; i < batch.Length; i++)
            {
                var outcome = reply.Reply.Outcomes[i];
                RaiseAcknowledgedRevision(outcome.Revision);
                batch[i].Completion.TrySetResult(outcome);
            }
        }
        catch (Exception error)
        {
            // The leader's silo failed mid-call: the requests may or may not have been proposed, as in etcd when the
            // leader dies, so they are answered with etcd's error for that case and not retried.
            FailAll(batch, new EtcdException(EtcdErrorCode.TimeoutDueToLeaderFail, error));
        }
        finally
        {
            _callSlots.Release();
        }
    }

    private void RaiseAcknowledgedRevision(long revision)
    {
        var seen = Interlocked.Read(ref _acknowledgedRevision);
        while (revision > seen)
        {
            var before = Interlocked.CompareExchange(ref _acknowledgedRevision, revision, seen);
            if (before == seen)
            {
                return;
            }

            seen = before;
        }
    }

    /// <summary>
    /// The leader hint to follow when the replica proposed nothing (not leader, no leader yet, or stopped: a replica that
    /// cannot apply); else null.
    /// </summary>
    private static ulong? NothingProposedHint(ProposeReply reply)
    {
        foreach (var outcome in reply.Outcomes)
        {
            if (outcome.Error is not (KvError.NotLeader or KvError.NoLeader or KvError.Stopped))
            {
                return null;
            }
        }

        return reply.LeaderHint;
    }

    private static void FailAll(PendingProposal[] batch, Exception error)
    {
        foreach (var pending in batch)
        {
            pending.Completion.TrySetException(error);
        }
    }

    private sealed class PendingProposal(KvCommand command, DateTime deadline)
    {
        public KvCommand Command { get; } = command;

        public DateTime Deadline { get; } = deadline;

        public int Bytes => Command.Request.Length;

        public TaskCompletionSource<KvOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
