using EtcdOrleans.Grains.Ranges;
using EtcdOrleans.Mvcc;

namespace EtcdOrleans.Grains.Replicas;

/// <summary>
/// The leader's delivery of applied effects to the range grains: every range grain gets every batch (so each knows
/// how far the log is applied), carrying just the effects that touch its keys. Range grains apply idempotently by
/// log index and pull from a replica whatever a batch skips over, so a leader change or a lost batch loses nothing.
/// <para>Delivery never holds up the write path: a client is answered once its effect is durable on a majority and
/// applied by the leader; a read waits until the range grains it reads have applied as far as its read barrier. Each
/// range has one batch in flight; what is applied meanwhile is coalesced into its next batch.</para>
/// </summary>
internal sealed class Applier(IGrainFactory grains, KeySpace keySpace, ulong replicaId)
{
    private readonly RangeFeed[] _feeds = Enumerable.Range(0, keySpace.Count)
        .Select(i => new RangeFeed(grains.GetGrain<IMvccRangeGrain>(i), replicaId))
        .ToArray();

    /// <summary>
    /// Queues the effects applied at log indexes [<paramref name="firstIndex"/>, <paramref name="lastIndex"/>] by the
    /// leader of <paramref name="term"/>.
    /// </summary>
    public void Deliver(ulong firstIndex, ulong lastIndex, long revision, ulong term, IReadOnlyList<(byte[] Bytes, Effect Effect)> effects)
    {
        var perRange = new List<byte[]>[_feeds.Length];
        for (var r = 0; r < perRange.Length; r++)
        {
            perRange[r] = [];
        }

        foreach (var (bytes, effect) in effects)
        {
            if (!effect.CreatesRevision)
            {
                // Compactions (and effects of other kinds) concern every range.
                foreach (var list in perRange)
                {
                    list.Add(bytes);
                }

                continue;
            }

            foreach (var change in effect.Changes)
            {
                var list = perRange[keySpace.IndexOf(change.Key)];
                if (list.Count == 0 || !ReferenceEquals(list[^1], bytes))
                {
                    list.Add(bytes);
                }
            }
        }

        for (var r = 0; r < _feeds.Length; r++)
        {
            _feeds[r].Enqueue(firstIndex, lastIndex, revision, term, perRange[r]);
        }
    }

    /// <summary>The queue of one range grain. Runs on the replica grain's scheduler: no locks.</summary>
    private sealed class RangeFeed(IMvccRangeGrain range, ulong replicaId)
    {
        /// <summary>
        /// Beyond this many queued effects, or bytes of them, the queue is dropped: the range pulls them from a replica
        /// instead, in pages of bounded size. A batch never nears Orleans' message size limit.
        /// </summary>
        private const int MaxQueuedEffects = 50_000;
        private const long MaxQueuedBytes = 16 * 1024 * 1024;
        private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);

        private List<byte[]> _effects = [];
        private ulong _firstIndex;
        private ulong _lastIndex;
        private long _revision;
        private ulong _term;
        private long _queuedBytes;
        private bool _sending;

        public void Enqueue(ulong firstIndex, ulong lastIndex, long revision, ulong term, List<byte[]> effects)
        {
            long bytes = 0;
            foreach (var effect in effects)
            {
                bytes += effect.Length;
            }

            if (_lastIndex == 0 || _effects.Count + effects.Count > MaxQueuedEffects || _queuedBytes + bytes > MaxQueuedBytes)
            {
                _effects = [];
                _queuedBytes = 0;
                _firstIndex = firstIndex;
            }

            _effects.AddRange(effects);
            _queuedBytes += bytes;
            _lastIndex = lastIndex;
            _revision = revision;
            _term = term;
            if (!_sending)
            {
                _sending = true;
                _ = SendAsync();
            }
        }

        private async Task SendAsync()
        {
            while (_lastIndex != 0)
            {
                var batch = new AppliedBatch(_firstIndex, _lastIndex, _revision, _effects.ToArray(), replicaId, _term);
                _effects = [];
                _queuedBytes = 0;
                _lastIndex = 0;
                try
                {
                    await range.ApplyAsync(batch);
                }
                catch (Exception)
                {
                    // The range grain is unreachable (its silo died): it catches up from a replica once re-activated.
                    await Task.Delay(RetryDelay);
                }
            }

            _sending = false;
        }
    }
}
