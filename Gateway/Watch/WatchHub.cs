using System.Threading.Channels;
using EtcdOrleans.Contracts;
using EtcdOrleans.Gateway.Cluster;
using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;
using Mvccpb = EtcdOrleans.Protos.Mvccpb;

namespace EtcdOrleans.Gateway.Watch;

/// <summary>
/// The gateway's one subscription to the cluster's changes, fanned out to every watch of every client stream
/// (DESIGN.md, "Watch"). Changes arrive pushed by the change feed; the hub applies them strictly in revision order:
/// a batch that does not continue the last revision seen (a lost push, a leader change, a restarted feed) is preceded
/// by the missing revisions read from history, so no synced watcher ever sees a gap or a duplicate.
/// <para>Watchers that start in the past (or fall behind because their client reads slowly) catch up from history on
/// their own, then join the index of synced watchers under the hub's lock, exactly at the hub's revision.
/// Single-key watchers are found by key, prefix watchers by the prefixes of the event's key (one lookup per prefix
/// length in use), so an event costs work in proportion to the watchers it concerns; other ranges are grouped by range
/// and each distinct one is compared once.</para>
/// </summary>
internal sealed partial class WatchHub(IGrainFactory grains, ProposalBatcher proposals, ILogger<WatchHub> logger)
    : BackgroundService, IChangeObserver
{
    private static readonly TimeSpan RenewInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan HistoryBudget = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);

    private readonly Channel<ChangeBatch> _batches = Channel.CreateUnbounded<ChangeBatch>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _lock = new();
    private readonly Dictionary<ByteString, List<Watcher>> _byKey = [];
    private readonly Dictionary<(ByteString Key, ByteString End), List<Watcher>> _byRange = [];
    private readonly Dictionary<ByteString, List<Watcher>> _byPrefix = [];
    private readonly SortedDictionary<int, int> _prefixLengths = [];
    private readonly HashSet<WatchStreamSession> _progressWaiting = [];
    private readonly TaskCompletionSource _initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _through;

    /// <summary>Every event up to this revision has been given to the synced watchers.</summary>
    public long Through
    {
        get
        {
            lock (_lock)
            {
                return _through;
            }
        }
    }

    /// <summary>Pushed by the change feed (one-way).</summary>
    public Task OnChangesAsync(ChangeBatch batch)
    {
        _batches.Writer.TryWrite(batch);
        return Task.CompletedTask;
    }

    /// <summary>
    /// The revision a watch created now starts after: the hub's, or the newest this gateway acknowledged if the hub has
    /// not seen it yet (a client that wrote and then watches from "now" must not get its own write again).
    /// </summary>
    public async Task<long> CurrentRevisionAsync(CancellationToken cancellationToken)
    {
        if (!_initialized.Task.IsCompleted)
        {
            // No news from the feed yet (just started, or the feed is unreachable): the store says where "now" is.
            var current = await CurrentStoreRevisionAsync(cancellationToken).ConfigureAwait(false);
            lock (_lock)
            {
                if (!_initialized.Task.IsCompleted)
                {
                    _through = current;
                    _initialized.TrySetResult();
                }
            }
        }

        return Math.Max(Through, proposals.AcknowledgedRevision);
    }

    /// <summary>Adds a watcher whose next revision is <see cref="Watcher.Next"/>: synced at once or after a catch-up.</summary>
    public void Add(Watcher watcher)
    {
        lock (_lock)
        {
            if (watcher.Next > _through)
            {
                AddToIndex(watcher);
                return;
            }

            StartCatchingUp(watcher);
        }
    }

    /// <summary>Removes a watcher; after this returns, the hub delivers nothing more for it.</summary>
    public void Remove(Watcher watcher)
    {
        lock (_lock)
        {
            watcher.Canceled = true;
            RemoveFromIndex(watcher);
            StopCatchingUp(watcher);
        }
    }

    /// <summary>
    /// RequestProgress: queues the hub's revision (watch id -1) for <paramref name="session"/> as soon as every watch of
    /// it is synced and the hub has reached the newest revision this gateway acknowledged (as etcd answers with its
    /// store's revision) — now, or later. Queued under the hub's lock, so it never overtakes an event at or below its
    /// revision, and no event below it follows.
    /// </summary>
    public void RequestProgress(WatchStreamSession session)
    {
        lock (_lock)
        {
            session.ProgressTarget = Math.Max(session.ProgressTarget, proposals.AcknowledgedRevision);
            _progressWaiting.Add(session);
            AnswerProgressRequests();
        }
    }

    /// <summary>The stream ended: its pending progress request goes with it.</summary>
    public void Forget(WatchStreamSession session)
    {
        lock (_lock)
        {
            _progressWaiting.Remove(session);
        }
    }

    /// <summary>Under the lock: answers the progress requests whose conditions now hold.</summary>
    private void AnswerProgressRequests()
    {
        if (_progressWaiting.Count == 0)
        {
            return;
        }

        _progressWaiting.RemoveWhere(session =>
        {
            if (session.CatchingUp > 0 || _through < session.ProgressTarget)
            {
                return false;
            }

            session.QueueProgress(WatchStreamSession.NoWatch, _through);
            return true;
        });
    }

    /// <summary>progress_notify: queues the hub's revision for each of <paramref name="watchers"/> that is synced.</summary>
    public void NotifyProgress(IEnumerable<Watcher> watchers)
    {
        lock (_lock)
        {
            foreach (var watcher in watchers)
            {
                if (watcher.Synced && !watcher.Canceled)
                {
                    watcher.Session.QueueProgress(watcher.Id, _through);
                }
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var self = grains.CreateObjectReference<IChangeObserver>(this);
        var feed = grains.GetGrain<IChangeFeedGrain>(0);
        var renewing = RenewAsync(feed, self, stoppingToken);
        try
        {
            await foreach (var batch in _batches.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await ApplyAsync(batch, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // The batch is lost to the hub; the next one (or the next renewal) shows the gap, which is backfilled.
                    LogBatchFailed(batch.FromRevision, batch.ThroughRevision, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }

        await renewing.ConfigureAwait(false);
    }

    /// <summary>
    /// Renews the subscription (a feed that restarted has forgotten it) and turns the feed's last revision into an
    /// empty batch, so that pushes lost while unsubscribed are read from history within one renewal.
    /// </summary>
    private async Task RenewAsync(IChangeFeedGrain feed, IChangeObserver self, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var published = await feed.SubscribeAsync(self).WaitAsync(HistoryBudget, stoppingToken).ConfigureAwait(false);
                _batches.Writer.TryWrite(new ChangeBatch(published + 1, published, []));
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogRenewFailed(e.Message);
            }

            try
            {
                await Task.Delay(RenewInterval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task ApplyAsync(ChangeBatch batch, CancellationToken cancellationToken)
    {
        if (!_initialized.Task.IsCompleted)
        {
            // The first news of the feed: nothing before it is owed to anybody (no watcher exists yet). A feed that has
            // published nothing yet (it just started) says nothing of the store: ask the store.
            var start = batch.FromRevision > 1 ? batch.FromRevision - 1 : await CurrentStoreRevisionAsync(cancellationToken).ConfigureAwait(false);
            lock (_lock)
            {
                if (!_initialized.Task.IsCompleted)
                {
                    _through = start;
                    _initialized.TrySetResult();
                }
            }
        }

        if (batch.ThroughRevision <= Through)
        {
            return;
        }

        // Continuity revision by revision: whatever is missing before the next one comes from history first.
        foreach (var revision in batch.Revisions)
        {
            if (revision.Revision > Through)
            {
                await CloseGapAsync(revision.Revision - 1, cancellationToken).ConfigureAwait(false);
                Dispatch(revision.Revision, WatchResponse.Parser.ParseFrom(revision.Events).Events);
            }
        }

        await CloseGapAsync(batch.ThroughRevision, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes the hub reach <paramref name="revision"/>: from history if anybody is owed the revisions between.</summary>
    private async Task CloseGapAsync(long revision, CancellationToken cancellationToken)
    {
        var through = Through;
        if (revision <= through)
        {
            return;
        }

        lock (_lock)
        {
            if (_byKey.Count == 0 && _byRange.Count == 0 && _byPrefix.Count == 0)
            {
                // Owed to nobody: watchers that start in the gap read it from history themselves.
                _through = Math.Max(_through, revision);
                AnswerProgressRequests();
                return;
            }
        }

        await BackfillAsync(through + 1, revision, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The store's current revision, by a linearizable read of nothing (etcd's header revision).</summary>
    private async Task<long> CurrentStoreRevisionAsync(CancellationToken cancellationToken)
    {
        var request = new RangeRequest { Key = ByteString.CopyFrom(0), CountOnly = true }.ToByteArray();
        while (true)
        {
            try
            {
                var outcome = await grains.GetGrain<IKvReaderGrain>(0).RangeAsync(request, HistoryBudget, 0).ConfigureAwait(false);
                return RangeResponse.Parser.ParseFrom(await KvErrorMapping.ResponseOrThrowAsync(grains, outcome, cancellationToken).ConfigureAwait(false)).Header.Revision;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                LogBackfillFailed(0, 0, e.Message);
                await Task.Delay(RetryDelay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Reads revisions [<paramref name="from"/>, <paramref name="to"/>] of every key from history and dispatches them in order.</summary>
    private async Task BackfillAsync(long from, long to, CancellationToken cancellationToken)
    {
        while (from <= to && !cancellationToken.IsCancellationRequested)
        {
            var (page, compactRevision) = await ReadHistoryAsync([0], [0], from, to, cancellationToken).ConfigureAwait(false);
            if (page is null)
            {
                if (compactRevision > from)
                {
                    // Part of the gap is gone from history: the watchers that needed it are canceled, as etcd cancels
                    // a watcher whose next revision was compacted; the others go on from the compaction.
                    CancelCompacted(compactRevision);
                    from = compactRevision;
                    continue;
                }

                await Task.Delay(RetryDelay, cancellationToken).ConfigureAwait(false);
                continue;
            }

            foreach (var revision in page.Events.GroupBy(e => e.Kv.ModRevision))
            {
                Dispatch(revision.Key, revision);
            }

            lock (_lock)
            {
                _through = Math.Max(_through, page.Header.Revision);
                AnswerProgressRequests();
            }

            from = page.Header.Revision + 1;
        }
    }

    /// <summary>
    /// One page of history, or (null, compact revision) when its start is compacted, or (null, 0) when it could not be
    /// read now (logged; the caller retries).
    /// </summary>
    private async Task<(WatchResponse? Page, long CompactRevision)> ReadHistoryAsync(byte[] key, byte[] end, long from, long to, CancellationToken cancellationToken)
    {
        try
        {
            var outcome = await grains.GetGrain<IKvReaderGrain>(0).HistoryAsync(key, end, from, to, HistoryBudget).ConfigureAwait(false);
            if (outcome.Error == KvError.Compacted)
            {
                return (null, outcome.Revision);
            }

            var bytes = await KvErrorMapping.ResponseOrThrowAsync(grains, outcome, cancellationToken).ConfigureAwait(false);
            return (WatchResponse.Parser.ParseFrom(bytes), 0);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            LogBackfillFailed(from, to, e.Message);
            return (null, 0);
        }
    }

    /// <summary>Gives the events of one revision to every synced watcher they concern, and moves the hub to it.</summary>
    private void Dispatch(long revision, IEnumerable<Mvccpb.Event> events)
    {
        lock (_lock)
        {
            var all = events as IReadOnlyCollection<Mvccpb.Event> ?? events.ToList();
            var concerned = new HashSet<Watcher>();
            foreach (var e in all)
            {
                if (_byKey.TryGetValue(e.Kv.Key, out var exact))
                {
                    concerned.UnionWith(exact);
                }
            }

            foreach (var e in all)
            {
                var key = e.Kv.Key.Memory;
                foreach (var length in _prefixLengths.Keys)
                {
                    if (length > key.Length)
                    {
                        break;
                    }

                    if (_byPrefix.TryGetValue(UnsafeByteOperations.UnsafeWrap(key[..length]), out var prefixed))
                    {
                        concerned.UnionWith(prefixed);
                    }
                }
            }

            foreach (var ((start, end), watchers) in _byRange)
            {
                foreach (var e in all)
                {
                    if (Watcher.InRange(e.Kv.Key.Span, start.Span, end.Span))
                    {
                        concerned.UnionWith(watchers);
                        break;
                    }
                }
            }

            List<Watcher>? lagging = null;
            foreach (var watcher in concerned)
            {
                if (watcher.Next > revision)
                {
                    continue;
                }

                var selected = watcher.Select(all);
                if (selected.Count > 0 && !watcher.Session.TryDeliver(watcher, revision, selected))
                {
                    // Its client reads too slowly: it catches up from history from this revision, at its own pace.
                    (lagging ??= []).Add(watcher);
                    continue;
                }

                watcher.Next = revision + 1;
            }

            _through = revision;
            foreach (var watcher in lagging ?? [])
            {
                RemoveFromIndex(watcher);
                StartCatchingUp(watcher);
            }

            AnswerProgressRequests();
        }
    }

    /// <summary>Sends a watcher its history from <see cref="Watcher.Next"/> in pages until it reaches the hub's revision, then syncs it.</summary>
    private async Task CatchUpAsync(Watcher watcher)
    {
        while (true)
        {
            long target;
            lock (_lock)
            {
                if (watcher.Canceled)
                {
                    return;
                }

                if (watcher.Next > _through)
                {
                    StopCatchingUp(watcher);
                    AddToIndex(watcher);
                    return;
                }

                target = _through;
            }

            var (page, compactRevision) = await ReadHistoryAsync(watcher.Key, watcher.End, watcher.Next, target, CancellationToken.None).ConfigureAwait(false);
            if (page is null)
            {
                if (compactRevision > 0)
                {
                    Remove(watcher);
                    await watcher.Session.SendCompactedAsync(watcher, compactRevision).ConfigureAwait(false);
                    return;
                }

                await Task.Delay(RetryDelay).ConfigureAwait(false);
                continue;
            }

            var selected = watcher.Select(page.Events);
            if (selected.Count > 0 && !await watcher.Session.SendHistoryAsync(watcher, target, selected).ConfigureAwait(false))
            {
                return;
            }

            watcher.Next = page.Header.Revision + 1;
        }
    }

    /// <summary>Cancels the synced watchers that still need revisions below <paramref name="compactRevision"/>.</summary>
    private void CancelCompacted(long compactRevision)
    {
        List<Watcher> compacted;
        lock (_lock)
        {
            compacted = _byKey.Values.Concat(_byRange.Values).Concat(_byPrefix.Values).SelectMany(w => w).Where(w => w.Next < compactRevision).ToList();
            foreach (var watcher in compacted)
            {
                watcher.Canceled = true;
                RemoveFromIndex(watcher);
            }
        }

        foreach (var watcher in compacted)
        {
            _ = watcher.Session.SendCompactedAsync(watcher, compactRevision);
        }
    }

    /// <summary>Under the lock: the watcher leaves the index (if in it) for a catch-up of its own.</summary>
    private void StartCatchingUp(Watcher watcher)
    {
        if (!watcher.CatchingUp)
        {
            watcher.CatchingUp = true;
            watcher.Session.CatchingUp++;
        }

        _ = Task.Run(() => CatchUpAsync(watcher));
    }

    /// <summary>Under the lock: the catch-up ends; a progress request waiting for the session's watches is answered.</summary>
    private void StopCatchingUp(Watcher watcher)
    {
        if (!watcher.CatchingUp)
        {
            return;
        }

        watcher.CatchingUp = false;
        if (--watcher.Session.CatchingUp == 0)
        {
            AnswerProgressRequests();
        }
    }

    private void AddToIndex(Watcher watcher)
    {
        watcher.Synced = true;
        if (watcher.IsPrefix)
        {
            var prefix = Watcher.IndexKey(watcher.Key);
            if (!_byPrefix.TryGetValue(prefix, out var prefixed))
            {
                prefixed = [];
                _byPrefix[prefix] = prefixed;
                _prefixLengths[prefix.Length] = _prefixLengths.GetValueOrDefault(prefix.Length) + 1;
            }

            prefixed.Add(watcher);
            return;
        }

        if (!watcher.IsSingleKey)
        {
            var range = RangeOf(watcher);
            if (!_byRange.TryGetValue(range, out var group))
            {
                group = [];
                _byRange[range] = group;
            }

            group.Add(watcher);
            return;
        }

        var key = Watcher.IndexKey(watcher.Key);
        if (!_byKey.TryGetValue(key, out var list))
        {
            list = [];
            _byKey[key] = list;
        }

        list.Add(watcher);
    }

    private void RemoveFromIndex(Watcher watcher)
    {
        if (!watcher.Synced)
        {
            return;
        }

        watcher.Synced = false;
        if (watcher.IsPrefix)
        {
            var prefix = Watcher.IndexKey(watcher.Key);
            if (_byPrefix.TryGetValue(prefix, out var prefixed) && prefixed.Remove(watcher) && prefixed.Count == 0)
            {
                _byPrefix.Remove(prefix);
                if (--_prefixLengths[prefix.Length] == 0)
                {
                    _prefixLengths.Remove(prefix.Length);
                }
            }

            return;
        }

        if (!watcher.IsSingleKey)
        {
            var range = RangeOf(watcher);
            if (_byRange.TryGetValue(range, out var group) && group.Remove(watcher) && group.Count == 0)
            {
                _byRange.Remove(range);
            }

            return;
        }

        var key = Watcher.IndexKey(watcher.Key);
        if (_byKey.TryGetValue(key, out var list) && list.Remove(watcher) && list.Count == 0)
        {
            _byKey.Remove(key);
        }
    }

    private static (ByteString Key, ByteString End) RangeOf(Watcher watcher) => (Watcher.IndexKey(watcher.Key), Watcher.IndexKey(watcher.End));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch hub: applying revisions {From}..{Through} failed: {Reason}")]
    private partial void LogBatchFailed(long from, long through, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch hub: renewing the change feed subscription failed: {Reason}")]
    private partial void LogRenewFailed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch hub: reading history {From}..{To} failed: {Reason}; retrying")]
    private partial void LogBackfillFailed(long from, long to, string reason);
}
