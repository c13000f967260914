namespace EtcdOrleans.Mvcc;

/// <summary>
/// One partition's part of a range answer, all computed at <see cref="ReadRevision"/>:
/// the matching key-values (after the min/max revision filters) sorted in the request's order and cut to
/// the request's limit, the number of keys matched before the cut, and the number of keys in the range
/// (before filters). Values are kept when the request sorts by value with keys_only, so the merge can sort;
/// <see cref="RangeMerger"/> drops them.
/// </summary>
public sealed class PartialRange
{
    public PartialRange(IReadOnlyList<KeyValue> kvs, long matched, long count, long readRevision, long currentRevision)
    {
        Kvs = kvs;
        Matched = matched;
        Count = count;
        ReadRevision = readRevision;
        CurrentRevision = currentRevision;
    }

    public IReadOnlyList<KeyValue> Kvs { get; }

    /// <summary>Keys in range that passed the filters (before the limit).</summary>
    public long Matched { get; }

    /// <summary>Keys in range at the read revision (etcd's RangeResponse.count).</summary>
    public long Count { get; }

    /// <summary>The revision the snapshot was read at.</summary>
    public long ReadRevision { get; }

    /// <summary>The partition's current revision (etcd puts the current revision in the header).</summary>
    public long CurrentRevision { get; }
}
