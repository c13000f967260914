namespace EtcdOrleans.Mvcc;

/// <summary>Reads: etcd's Range semantics over the store's key range.</summary>
public sealed partial class MvccStore
{
    /// <summary>
    /// etcd's Range on this store alone, read at <see cref="RangeRequest.Revision"/> (&lt;= 0 = current).
    /// Errors: <see cref="MvccError.FutureRevision"/> when the revision is above <see cref="CurrentRevision"/>,
    /// <see cref="MvccError.Compacted"/> when below <see cref="CompactedRevision"/>.
    /// The response revision is <see cref="CurrentRevision"/>, as etcd's header.
    /// </summary>
    public RangeResponse Range(RangeRequest request)
    {
        var part = RangeCore(request, CurrentRevision);
        return RangeMerger.Finish(request, part.Kvs, part.Matched, part.Count, part.CurrentRevision);
    }

    /// <summary>etcd's Range inside a write txn: <paramref name="currentRevision"/> is the txn's read revision.</summary>
    internal RangeResponse Range(RangeRequest request, long currentRevision)
    {
        var part = RangeCore(request, currentRevision);
        return RangeMerger.Finish(request, part.Kvs, part.Matched, part.Count, part.CurrentRevision);
    }

    /// <summary>
    /// This partition's share of a range that spans several stores, treating <paramref name="currentRevision"/>
    /// as the current revision (give every partition the same one; the store must have applied it).
    /// Same errors as <see cref="Range"/>, relative to <paramref name="currentRevision"/>.
    /// Merge the parts with <see cref="RangeMerger.Merge"/>.
    /// </summary>
    public PartialRange RangePartial(RangeRequest request, long currentRevision)
    {
        if (currentRevision > CurrentRevision)
        {
            throw new InvalidOperationException($"Revision {currentRevision} is not applied yet (current {CurrentRevision}).");
        }

        return RangeCore(request, currentRevision);
    }

    /// <summary>The value of <paramref name="key"/> at <paramref name="revision"/> (&lt;= 0 = current), or null; same errors as <see cref="Range"/>.</summary>
    public KeyValue? Get(byte[] key, long revision = 0)
    {
        var rev = ResolveReadRevision(revision, CurrentRevision);
        return OwnedRange.Contains(key) ? Find(key)?.Get(rev) : null;
    }

    /// <summary>etcd's rangeKeys revision checks: future, then "&lt;= 0 means current", then compacted.</summary>
    internal long ResolveReadRevision(long requested, long currentRevision)
    {
        if (requested > currentRevision)
        {
            MvccErrors.Throw(MvccError.FutureRevision);
        }

        var rev = requested <= 0 ? currentRevision : requested;
        if (rev < CompactedRevision)
        {
            MvccErrors.Throw(MvccError.Compacted);
        }

        return rev;
    }

    /// <summary>The live key-values in <paramref name="range"/> at main revision <paramref name="atMain"/>, key order, no checks.</summary>
    internal List<KeyValue> LiveAt(KeyRange range, long atMain)
    {
        var result = new List<KeyValue>();
        foreach (var index in IndexesIn(range.Intersect(OwnedRange)))
        {
            if (index.Get(atMain) is { } kv)
            {
                result.Add(kv);
            }
        }

        return result;
    }

    internal PartialRange RangeCore(RangeRequest request, long currentRevision)
    {
        var rev = ResolveReadRevision(request.Revision, currentRevision);
        var range = KeyRange.FromEtcd(request.Key, request.RangeEnd).Intersect(OwnedRange);
        var order = KeyValueOrder.For(request);
        var firstKeysOnly = KeyValueOrder.SortsFirstKeysOnly(request);
        var natural = order.IsKeyAscending || firstKeysOnly;
        var limit = request.Limit;

        // Collect in key order up to the limit; etcd's quirk keeps one more key (see SortsFirstKeysOnly).
        var keep = firstKeysOnly ? limit + 1 : limit;
        long count = 0, matched = 0;
        var kvs = new List<KeyValue>();
        foreach (var index in IndexesIn(range))
        {
            var kv = index.Get(rev);
            if (kv is null)
            {
                continue;
            }

            count++;
            if (request.CountOnly || !PassesFilters(request, kv))
            {
                continue;
            }

            matched++;
            if (natural && keep > 0 && kvs.Count >= keep)
            {
                continue;
            }

            kvs.Add(kv);
        }

        if (firstKeysOnly)
        {
            // Sorted, not cut: a merger across partitions picks the first limit + 1 keys of all parts.
            kvs.Sort(order);
        }
        else if (!natural)
        {
            kvs.Sort(order);
            if (limit > 0 && kvs.Count > limit)
            {
                kvs.RemoveRange((int)limit, kvs.Count - (int)limit);
            }
        }

        if (request.KeysOnly && order.Target != SortTarget.Value)
        {
            for (var i = 0; i < kvs.Count; i++)
            {
                kvs[i] = kvs[i].WithoutValue();
            }
        }

        return new PartialRange(kvs, matched, count, rev, currentRevision);
    }

    private static bool PassesFilters(RangeRequest r, KeyValue kv)
        => !(r.MaxModRevision != 0 && kv.ModRevision > r.MaxModRevision)
            && !(r.MinModRevision != 0 && kv.ModRevision < r.MinModRevision)
            && !(r.MaxCreateRevision != 0 && kv.CreateRevision > r.MaxCreateRevision)
            && !(r.MinCreateRevision != 0 && kv.CreateRevision < r.MinCreateRevision);
}
