using EtcdOrleans.Mvcc;

namespace EtcdOrleans.Grains.Ranges;

/// <summary>
/// The split of the key space into <see cref="Count"/> contiguous ranges, one MVCC range grain each. Range i covers
/// keys whose first byte lies in [i*256/N, (i+1)*256/N); the first range also holds the empty key and the last range
/// is open-ended. The split is fixed when the cluster is created.
/// </summary>
public sealed class KeySpace
{
    private readonly byte[][] _starts;

    public KeySpace(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 256);
        Count = count;
        _starts = Enumerable.Range(0, count).Select(i => i == 0 ? Array.Empty<byte>() : [(byte)(i * 256 / count)]).ToArray();
    }

    public int Count { get; }

    /// <summary>The keys range grain <paramref name="index"/> owns.</summary>
    public KeyRange RangeOf(int index) =>
        KeyRange.Between(_starts[index], index + 1 < Count ? _starts[index + 1] : null);

    /// <summary>The range grain that owns <paramref name="key"/>.</summary>
    public int IndexOf(ReadOnlySpan<byte> key)
    {
        if (key.IsEmpty)
        {
            return 0;
        }

        var index = key[0] * Count / 256;
        // Integer division can land one range low at a boundary; step up while the next range starts at or below the key.
        while (index + 1 < Count && _starts[index + 1][0] <= key[0])
        {
            index++;
        }

        return index;
    }

    /// <summary>The range grains whose keys overlap the etcd range [key, rangeEnd).</summary>
    public IEnumerable<int> Overlapping(KeyRange range)
    {
        if (range.IsSingleKey)
        {
            yield return IndexOf(range.Start);
            yield break;
        }

        for (var i = 0; i < Count; i++)
        {
            if (!RangeOf(i).Intersect(range).IsEmpty)
            {
                yield return i;
            }
        }
    }
}
