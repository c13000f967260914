using System.Threading.Channels;
using EtcdOrleans.Gateway.Kv;
using EtcdOrleans.Protos.Etcdserverpb;
using Grpc.Core;
using Mvccpb = EtcdOrleans.Protos.Mvccpb;

namespace EtcdOrleans.Gateway.Watch;

/// <summary>
/// One client's Watch stream, as etcd's serverWatchStream: a receive loop (create, cancel, progress requests) and one
/// send loop that writes every response in the order it was queued. A watch's created response is queued before the
/// watch is given to the hub, so no event precedes it; a cancel response is queued after the hub has let go of the
/// watch and while no history write of it is under way, so it follows the watch's last event.
/// <para>The queue is bounded: the hub never waits for a slow client; it moves that client's watchers to catch-up.</para>
/// </summary>
internal sealed class WatchStreamSession(
    WatchHub hub,
    IClusterHeaderSource headerSource,
    int maxRequestBytes,
    TimeSpan progressInterval,
    IServerStreamWriter<WatchResponse> writer)
{
    /// <summary>etcd's InvalidWatchID: responses that belong to no watch.</summary>
    public const long NoWatch = -1;
    private const int QueuedResponses = 1024;
    private const string EmptyRange = "mvcc: watcher range is empty";
    private const string DuplicateId = "mvcc: duplicate watch ID provided on the WatchStream";

    private readonly Channel<WatchResponse> _out = Channel.CreateBounded<WatchResponse>(new BoundedChannelOptions(QueuedResponses)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly Dictionary<long, Watcher> _watchers = [];
    private readonly Lock _lock = new();
    private long _nextId;
    private CancellationToken _streamEnded;

    /// <summary>Watches of this stream catching up from history (kept by the hub, under its lock).</summary>
    public int CatchingUp { get; set; }

    /// <summary>
    /// The revision the hub must have reached before it answers a pending RequestProgress (which also waits for
    /// <see cref="CatchingUp"/> to reach 0); kept by the hub, under its lock.
    /// </summary>
    public long ProgressTarget { get; set; }

    public async Task RunAsync(IAsyncStreamReader<WatchRequest> requests, CancellationToken cancellationToken)
    {
        _streamEnded = cancellationToken;
        var sending = SendLoopAsync(cancellationToken);
        using var progress = new PeriodicTimer(progressInterval);
        var notifying = NotifyProgressAsync(progress, cancellationToken);
        try
        {
            while (await requests.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                await HandleAsync(requests.Current, cancellationToken).ConfigureAwait(false);
            }

            // The client closed its side only: as etcd, the watches go on until the stream ends.
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
        finally
        {
            lock (_lock)
            {
                foreach (var watcher in _watchers.Values)
                {
                    hub.Remove(watcher);
                }

                _watchers.Clear();
            }

            hub.Forget(this);
            _out.Writer.TryComplete();
            progress.Dispose();
        }

        await sending.ConfigureAwait(false);
        await notifying.ConfigureAwait(false);
    }

    /// <summary>From the hub, under its lock: queues one revision's events if there is room (else the watcher lags).</summary>
    public bool TryDeliver(Watcher watcher, long revision, List<Mvccpb.Event> events)
    {
        if (watcher.Canceled)
        {
            return true;
        }

        // One response or nothing: a revision that must be fragmented goes the catch-up way, which waits for room,
        // so that no fragment set is ever queued in part.
        var responses = Fragments(watcher, revision, events).ToList();
        if (responses.Count != 1 || !watcher.WriteTurn.Wait(0))
        {
            return false;
        }

        try
        {
            var queued = _out.Writer.TryWrite(responses[0]);
            watcher.SentSinceTick |= queued;
            return queued;
        }
        finally
        {
            watcher.WriteTurn.Release();
        }
    }

    /// <summary>From the hub, under its lock: a progress response (a watch's, or -1 for RequestProgress).</summary>
    public void QueueProgress(long watchId, long revision)
    {
        var response = new WatchResponse { Header = Header(revision), WatchId = watchId };
        if (!_out.Writer.TryWrite(response))
        {
            // The queue is full: this one waits for room (the stream's events before it are queued already).
            _ = TryWriteAsync(response);
        }
    }

    /// <summary>From a catch-up: queues a page of history, waiting for room. False once the stream is gone or the watch canceled.</summary>
    public async Task<bool> SendHistoryAsync(Watcher watcher, long revision, List<Mvccpb.Event> events)
    {
        if (!await TakeWriteTurnAsync(watcher).ConfigureAwait(false))
        {
            return false;
        }

        try
        {
            if (watcher.Canceled)
            {
                return false;
            }

            foreach (var response in Fragments(watcher, revision, events))
            {
                if (!await TryWriteAsync(response).ConfigureAwait(false))
                {
                    return false;
                }
            }

            watcher.SentSinceTick = true;
            return true;
        }
        finally
        {
            watcher.WriteTurn.Release();
        }
    }

    /// <summary>Its start revision (or its next one) was compacted: etcd cancels it with compact_revision set.</summary>
    public async Task SendCompactedAsync(Watcher watcher, long compactRevision)
    {
        if (!await TakeWriteTurnAsync(watcher).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            // As etcd: the response has no header revision, the watch stays known to the stream (its id stays taken).
            await TryWriteAsync(new WatchResponse { Header = Header(0), WatchId = watcher.Id, CompactRevision = compactRevision, Canceled = true }).ConfigureAwait(false);
        }
        finally
        {
            watcher.WriteTurn.Release();
        }
    }

    private async Task HandleAsync(WatchRequest request, CancellationToken cancellationToken)
    {
        switch (request.RequestUnionCase)
        {
            case WatchRequest.RequestUnionOneofCase.CreateRequest:
                await CreateAsync(request.CreateRequest, cancellationToken).ConfigureAwait(false);
                break;
            case WatchRequest.RequestUnionOneofCase.CancelRequest:
                await CancelAsync(request.CancelRequest.WatchId).ConfigureAwait(false);
                break;
            case WatchRequest.RequestUnionOneofCase.ProgressRequest:
                // RequestProgress: the hub answers once every watch of this stream is synced; the receive loop goes on.
                hub.RequestProgress(this);
                break;
        }
    }

    private async Task CreateAsync(WatchCreateRequest request, CancellationToken cancellationToken)
    {
        // etcd 3.4's reading: an empty key is "\0"; range_end "\0" is "every key from key on".
        if (request.Key.IsEmpty)
        {
            request.Key = Google.Protobuf.ByteString.CopyFrom(0);
        }

        var current = await hub.CurrentRevisionAsync(cancellationToken).ConfigureAwait(false);
        var end = request.RangeEnd.Span;
        if (end.Length != 0 && !(end is [0]) && request.Key.Span.SequenceCompareTo(end) >= 0)
        {
            await RefuseAsync(current, EmptyRange).ConfigureAwait(false);
            return;
        }

        Watcher watcher;
        lock (_lock)
        {
            var id = request.WatchId;
            if (id == 0)
            {
                while (_watchers.ContainsKey(_nextId))
                {
                    _nextId++;
                }

                id = _nextId++;
            }
            else if (_watchers.ContainsKey(id))
            {
                id = NoWatch;
            }

            watcher = new Watcher(this, id, request, request.StartRevision > 0 ? request.StartRevision : current + 1);
            if (id != NoWatch)
            {
                _watchers[id] = watcher;
            }
        }

        if (watcher.Id == NoWatch)
        {
            await RefuseAsync(current, DuplicateId).ConfigureAwait(false);
            return;
        }

        // Created first, then events: the hub sees the watcher only once its created response is queued.
        await TryWriteAsync(new WatchResponse { Header = Header(current), WatchId = watcher.Id, Created = true }).ConfigureAwait(false);
        hub.Add(watcher);
    }

    private Task RefuseAsync(long current, string reason) =>
        TryWriteAsync(new WatchResponse { Header = Header(current), WatchId = NoWatch, Created = true, Canceled = true, CancelReason = reason });

    private async Task CancelAsync(long id)
    {
        Watcher? watcher;
        lock (_lock)
        {
            if (!_watchers.Remove(id, out watcher))
            {
                // etcd answers nothing for a watch it does not know.
                return;
            }
        }

        hub.Remove(watcher);
        if (!await TakeWriteTurnAsync(watcher).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            await TryWriteAsync(new WatchResponse { Header = Header(hub.Through), WatchId = id, Canceled = true }).ConfigureAwait(false);
        }
        finally
        {
            watcher.WriteTurn.Release();
        }
    }

    /// <summary>etcd's progress notifications: a synced watch that got no event for a whole interval is told the revision.</summary>
    private async Task NotifyProgressAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                List<Watcher> idle;
                lock (_lock)
                {
                    idle = _watchers.Values.Where(w => w.ProgressNotify && !w.SentSinceTick && w.Synced).ToList();
                    foreach (var watcher in _watchers.Values)
                    {
                        watcher.SentSinceTick = false;
                    }
                }

                hub.NotifyProgress(idle);
            }
        }
        catch (OperationCanceledException)
        {
            // The stream ended.
        }
    }

    private async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var response in _out.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await writer.WriteAsync(response, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException)
        {
            // The client went away: the receive loop ends too.
        }
        finally
        {
            // Nothing drains the queue any more: writers waiting for room give up instead of waiting forever.
            _out.Writer.TryComplete();
        }
    }

    private async Task<bool> TakeWriteTurnAsync(Watcher watcher)
    {
        try
        {
            await watcher.WriteTurn.WaitAsync(_streamEnded).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<bool> TryWriteAsync(WatchResponse response)
    {
        try
        {
            await _out.Writer.WriteAsync(response, _streamEnded).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is ChannelClosedException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>etcd's sendFragments: one response, or (when the watch asked for fragments) pieces under the request size limit.</summary>
    private IEnumerable<WatchResponse> Fragments(Watcher watcher, long revision, List<Mvccpb.Event> events)
    {
        var whole = new WatchResponse { Header = Header(revision), WatchId = watcher.Id, Events = { events } };
        if (!watcher.Fragment || events.Count < 2 || whole.CalculateSize() < maxRequestBytes)
        {
            yield return whole;
            yield break;
        }

        var index = 0;
        while (index < events.Count)
        {
            var piece = new WatchResponse { Header = Header(revision), WatchId = watcher.Id, Fragment = true };
            while (index < events.Count)
            {
                piece.Events.Add(events[index]);
                if (piece.Events.Count > 1 && piece.CalculateSize() >= maxRequestBytes)
                {
                    piece.Events.RemoveAt(piece.Events.Count - 1);
                    break;
                }

                index++;
            }

            piece.Fragment = index < events.Count;
            yield return piece;
        }
    }

    private ResponseHeader Header(long revision)
    {
        var current = headerSource.Current;
        return new ResponseHeader { ClusterId = current.ClusterId, MemberId = current.MemberId, RaftTerm = current.RaftTerm, Revision = revision };
    }
}
