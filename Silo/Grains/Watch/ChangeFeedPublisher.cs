using EtcdOrleans.Contracts;

namespace EtcdOrleans.Grains.Watch;

/// <summary>
/// The leader's side of the change feed: queues the events of each applied revision and sends them to the
/// <see cref="IChangeFeedGrain"/>, one call in flight, at most <see cref="ReplyBuffer.ChunkBytes"/> a call, what is
/// applied meanwhile coalesced into the next. Never on the write path. Beyond <see cref="MaxQueuedBytes"/> the queue is
/// dropped: hubs see the gap and read it from history.
/// </summary>
internal sealed class ChangeFeedPublisher(IGrainFactory grains)
{
    private const long MaxQueuedBytes = 64L * 1024 * 1024;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);

    private readonly IChangeFeedGrain _feed = grains.GetGrain<IChangeFeedGrain>(0);
    private readonly Queue<ChangeRevision> _queue = new();
    private long _queuedBytes;
    private bool _sending;
    private ulong _term;
    private long _markedThrough;

    /// <summary>
    /// Queues the events of revisions applied as leader of <paramref name="term"/>, in order; with
    /// <paramref name="throughRevision"/>, also tells the feed the store is at least that far (a new leader's mark).
    /// What was queued in an earlier term is dropped: this replica did not publish the revisions between.
    /// </summary>
    public void Enqueue(ulong term, IReadOnlyList<ChangeRevision> revisions, long throughRevision = 0)
    {
        if (term != _term)
        {
            _queue.Clear();
            _queuedBytes = 0;
            _term = term;
        }

        _markedThrough = Math.Max(_markedThrough, throughRevision);
        foreach (var revision in revisions)
        {
            if (_queuedBytes + revision.Events.Length > MaxQueuedBytes)
            {
                _queue.Clear();
                _queuedBytes = 0;
            }

            _queue.Enqueue(revision);
            _queuedBytes += revision.Events.Length;
        }

        if (!_sending && (_queue.Count > 0 || _markedThrough > 0))
        {
            _sending = true;
            _ = SendAsync();
        }
    }

    private async Task SendAsync()
    {
        while (_queue.Count > 0 || _markedThrough > 0)
        {
            if (_queue.Count == 0)
            {
                // Only a mark: no events, just how far the store is.
                var through = _markedThrough;
                _markedThrough = 0;
                await PublishAsync(new ChangeBatch(through + 1, through, []));
                continue;
            }

            var batch = new List<ChangeRevision>();
            long bytes = 0;
            while (_queue.Count > 0 && (batch.Count == 0 || bytes + _queue.Peek().Events.Length <= ReplyBuffer.ChunkBytes))
            {
                var next = _queue.Dequeue();
                bytes += next.Events.Length;
                batch.Add(next);
            }

            _queuedBytes -= bytes;
            await PublishAsync(new ChangeBatch(batch[0].Revision, batch[^1].Revision, batch.ToArray()));
        }

        _sending = false;
    }

    private async Task PublishAsync(ChangeBatch batch)
    {
        try
        {
            await _feed.PublishAsync(batch);
        }
        catch (Exception)
        {
            // The feed's silo died: hubs read the lost revisions from history once the feed is back.
            await Task.Delay(RetryDelay);
        }
    }
}
