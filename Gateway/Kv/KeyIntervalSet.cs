using Google.Protobuf;

namespace EtcdOrleans.Gateway.Kv;

/// <summary>
/// The keys deleted by the delete ranges of a txn, for the duplicate-key check: half-open byte intervals
/// [begin, end), where an empty end means "to the end of the key space", exactly as etcd's interval check sees them.
/// Note that etcd's check takes a range end of "\0" (all keys from begin) literally, as an interval that ends
/// before it begins and so contains no key; this set does the same, to accept and reject what etcd does.
/// </summary>
internal sealed class KeyIntervalSet
{
    private readonly List<(ByteString Begin, ByteString End)> _intervals = [];
    private bool _sorted = true;

    // For the sorted intervals, the greatest end among intervals [0..i]; an empty end is the greatest of all.
    private ByteString[] _maxEnds = [];

    public int Count => _intervals.Count;

    /// <summary>Adds [begin, end); an empty <paramref name="end"/> is unbounded.</summary>
    public void Add(ByteString begin, ByteString end)
    {
        _intervals.Add((begin, end));
        _sorted = false;
    }

    /// <summary>Adds the single key <paramref name="key"/>.</summary>
    public void AddKey(ByteString key) => Add(key, Successor(key));

    /// <summary>Adds every interval of <paramref name="other"/>.</summary>
    public void AddAll(KeyIntervalSet other)
    {
        if (other._intervals.Count == 0)
        {
            return;
        }

        _intervals.AddRange(other._intervals);
        _sorted = false;
    }

    /// <summary>Whether some interval holds <paramref name="key"/>: begin &lt;= key &lt; end.</summary>
    public bool Contains(ByteString key)
    {
        if (_intervals.Count == 0)
        {
            return false;
        }

        EnsureSorted();

        // The last interval whose begin is <= key; every interval after it begins after the key.
        int lo = 0, hi = _intervals.Count - 1, last = -1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            if (Compare(_intervals[mid].Begin, key) <= 0)
            {
                last = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return last >= 0 && EndAfter(_maxEnds[last], key);
    }

    private void EnsureSorted()
    {
        if (_sorted)
        {
            return;
        }

        _intervals.Sort(static (a, b) => Compare(a.Begin, b.Begin));
        if (_maxEnds.Length < _intervals.Count)
        {
            _maxEnds = new ByteString[Math.Max(_intervals.Count, _maxEnds.Length * 2)];
        }

        var max = _intervals[0].End;
        for (var i = 0; i < _intervals.Count; i++)
        {
            var end = _intervals[i].End;
            if (max.Length != 0 && (end.Length == 0 || Compare(end, max) > 0))
            {
                max = end;
            }

            _maxEnds[i] = max;
        }

        _sorted = true;
    }

    private static bool EndAfter(ByteString end, ByteString key) => end.Length == 0 || Compare(key, end) < 0;

    private static int Compare(ByteString a, ByteString b) => a.Span.SequenceCompareTo(b.Span);

    private static ByteString Successor(ByteString key)
    {
        var bytes = new byte[key.Length + 1];
        key.Span.CopyTo(bytes);
        return UnsafeByteOperations.UnsafeWrap(bytes);
    }
}
