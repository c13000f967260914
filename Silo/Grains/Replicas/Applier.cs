using EtcdOrleans.Grains.Ranges;
using EtcdOrleans.Mvcc;

namespace EtcdOrleans.Grains.Replicas;

/// <summary>
/// The leader's delivery of applied effects to the range grains: every range grain gets every batch (so each knows
/// how far the log is applied), carrying just the effects that touch its keys. Range grains apply idempotently by
/// log index and pull from a replica whatever a batch skips over, so a leader change loses nothing.
/// </summary>
internal sealed class Applier(IGrainFactory grains, KeySpace keySpace, ulong replicaId)
{
    private readonly IMvccRangeGrain[] _ranges = Enumerable.Range(0, keySpace.Count)
        .Select(i => grains.GetGrain<IMvccRangeGrain>(i))
        .ToArray();

    public Task DeliverAsync(ulong firstIndex, ulong lastIndex, long revision, IReadOnlyList<(byte[] Bytes, Effect Effect)> effects)
    {
        var perRange = new List<byte[]>[_ranges.Length];
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

            var last = -1;
            foreach (var change in effect.Changes)
            {
                var range = keySpace.IndexOf(change.Key);
                if (range != last && (perRange[range].Count == 0 || !ReferenceEquals(perRange[range][^1], bytes)))
                {
                    perRange[range].Add(bytes);
                }

                last = range;
            }
        }

        var deliveries = new Task[_ranges.Length];
        for (var r = 0; r < _ranges.Length; r++)
        {
            deliveries[r] = _ranges[r].ApplyAsync(new AppliedBatch(firstIndex, lastIndex, revision, perRange[r].ToArray(), replicaId));
        }

        return Task.WhenAll(deliveries);
    }
}
