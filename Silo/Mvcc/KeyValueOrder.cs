namespace EtcdOrleans.Mvcc;

/// <summary>
/// The order of a range's results. etcd sorts ASCEND by default when the target is not KEY and the order
/// is NONE. Ties on the target are broken by key ascending in both directions (what etcd's insertion sort
/// yields for small results; etcd leaves larger ties unspecified), so the order is total and partitions
/// merge exactly.
/// </summary>
public sealed class KeyValueOrder : IComparer<KeyValue>
{
    private static readonly KeyValueOrder KeyAscending = new(SortOrder.Ascend, SortTarget.Key);

    private KeyValueOrder(SortOrder order, SortTarget target)
    {
        Order = order;
        Target = target;
    }

    public SortOrder Order { get; }

    public SortTarget Target { get; }

    /// <summary>True when the order is plain key ascending (the store's natural order).</summary>
    public bool IsKeyAscending => Target == SortTarget.Key && Order == SortOrder.Ascend;

    /// <summary>Plain key ascending (for windows of keys taken in the store's order).</summary>
    public static KeyValueOrder ByKey => KeyAscending;

    /// <summary>
    /// etcd 3.4's quirk: with sort order NONE, a target other than KEY, a limit and no revision filters, etcd reads
    /// only the first limit + 1 keys in key order and sorts just those by the target (not the whole range).
    /// </summary>
    public static bool SortsFirstKeysOnly(RangeRequest request) =>
        request.SortOrder == SortOrder.None && request.SortTarget != SortTarget.Key && request.Limit > 0 &&
        request.MinModRevision == 0 && request.MaxModRevision == 0 &&
        request.MinCreateRevision == 0 && request.MaxCreateRevision == 0;

    public static KeyValueOrder For(RangeRequest request)
    {
        var order = request.SortOrder;
        if (request.SortTarget != SortTarget.Key && order == SortOrder.None)
        {
            order = SortOrder.Ascend;
        }

        return order is SortOrder.None or SortOrder.Ascend && request.SortTarget == SortTarget.Key
            ? KeyAscending
            : new KeyValueOrder(order == SortOrder.None ? SortOrder.Ascend : order, request.SortTarget);
    }

    public int Compare(KeyValue? x, KeyValue? y)
    {
        var a = x!;
        var b = y!;
        var c = Target switch
        {
            SortTarget.Key => 0,
            SortTarget.Version => a.Version.CompareTo(b.Version),
            SortTarget.Create => a.CreateRevision.CompareTo(b.CreateRevision),
            SortTarget.Mod => a.ModRevision.CompareTo(b.ModRevision),
            SortTarget.Value => KeyBytes.Compare(a.Value, b.Value),
            _ => throw new ArgumentOutOfRangeException(nameof(x), Target, "Unknown sort target."),
        };
        if (c != 0)
        {
            return Order == SortOrder.Descend ? -c : c;
        }

        var k = KeyBytes.Compare(a.Key, b.Key);
        return Target == SortTarget.Key && Order == SortOrder.Descend ? -k : k;
    }
}
