namespace EtcdOrleans.Mvcc;

/// <summary>
/// Merges the <see cref="PartialRange"/>s of disjoint key partitions, each read at the same revision, into
/// the exact answer one store holding all the keys would give: sort, limit, more and count.
/// </summary>
public static class RangeMerger
{
    /// <summary>
    /// Merges <paramref name="parts"/> (any order). Each part must come from
    /// <see cref="MvccStore.RangePartial(RangeRequest, long)"/> with the same request and read revision.
    /// The response revision is the highest current revision among the parts.
    /// </summary>
    public static RangeResponse Merge(RangeRequest request, IReadOnlyList<PartialRange> parts)
    {
        if (parts.Count == 0)
        {
            throw new ArgumentException("At least one partition is needed.", nameof(parts));
        }

        long count = 0, matched = 0, revision = 0;
        var total = 0;
        var readRevision = parts[0].ReadRevision;
        foreach (var part in parts)
        {
            if (part.ReadRevision != readRevision)
            {
                throw new ArgumentException("Partitions were read at different revisions.", nameof(parts));
            }

            count += part.Count;
            matched += part.Matched;
            revision = Math.Max(revision, part.CurrentRevision);
            total += part.Kvs.Count;
        }

        IReadOnlyList<KeyValue> kvs;
        if (parts.Count == 1)
        {
            kvs = parts[0].Kvs;
        }
        else
        {
            var all = new List<KeyValue>(total);
            foreach (var part in parts)
            {
                all.AddRange(part.Kvs);
            }

            if (KeyValueOrder.SortsFirstKeysOnly(request))
            {
                // etcd's quirk over all parts: the first limit + 1 keys in key order, then sorted by the target.
                all.Sort(KeyValueOrder.ByKey);
                if (all.Count > request.Limit + 1)
                {
                    all.RemoveRange((int)request.Limit + 1, all.Count - (int)request.Limit - 1);
                }
            }

            all.Sort(KeyValueOrder.For(request));
            kvs = all;
        }

        return Finish(request, kvs, matched, count, revision);
    }

    internal static RangeResponse Finish(RangeRequest request, IReadOnlyList<KeyValue> kvs, long matched, long count, long revision)
    {
        var limit = request.Limit;
        var more = false;
        if (limit > 0 && matched > limit)
        {
            more = true;
        }

        if (limit > 0 && kvs.Count > limit)
        {
            kvs = Take(kvs, (int)limit);
        }

        if (request.KeysOnly && kvs.Count > 0 && NeedsStripping(kvs))
        {
            var stripped = new KeyValue[kvs.Count];
            for (var i = 0; i < stripped.Length; i++)
            {
                stripped[i] = kvs[i].WithoutValue();
            }

            kvs = stripped;
        }

        return new RangeResponse { Kvs = kvs, More = more, Count = count, Revision = revision };
    }

    private static bool NeedsStripping(IReadOnlyList<KeyValue> kvs)
    {
        foreach (var kv in kvs)
        {
            if (kv.Value.Length != 0)
            {
                return true;
            }
        }

        return false;
    }

    private static KeyValue[] Take(IReadOnlyList<KeyValue> kvs, int n)
    {
        var result = new KeyValue[n];
        for (var i = 0; i < n; i++)
        {
            result[i] = kvs[i];
        }

        return result;
    }
}
