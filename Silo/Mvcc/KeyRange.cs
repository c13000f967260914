namespace EtcdOrleans.Mvcc;

/// <summary>
/// A half-open key interval [<see cref="Start"/>, <see cref="End"/>); <see cref="End"/> null means unbounded.
/// Build request ranges with <see cref="FromEtcd"/>, which applies etcd's end-key conventions.
/// Arrays are not copied: callers must not mutate them afterwards.
/// </summary>
public sealed class KeyRange
{
    private static readonly byte[] NoBytes = [];

    private KeyRange(byte[] start, byte[]? end, bool isSingleKey)
    {
        Start = start;
        End = end;
        IsSingleKey = isSingleKey;
    }

    /// <summary>Every key, including the empty key.</summary>
    public static KeyRange All { get; } = new(NoBytes, null, false);

    /// <summary>Inclusive lower bound.</summary>
    public byte[] Start { get; }

    /// <summary>Exclusive upper bound; null = no upper bound.</summary>
    public byte[]? End { get; }

    /// <summary>True when the range holds exactly the key <see cref="Start"/>.</summary>
    public bool IsSingleKey { get; }

    /// <summary>True when no key can be in the range.</summary>
    public bool IsEmpty => End is not null && KeyBytes.Compare(End, Start) <= 0;

    /// <summary>
    /// etcd's convention for (key, range_end): empty or null end = the single key; end "\0" = every key &gt;= key
    /// (so key "\0" with end "\0" is every key); otherwise [key, end), empty when end &lt;= key.
    /// </summary>
    public static KeyRange FromEtcd(byte[] key, byte[]? rangeEnd)
    {
        if (rangeEnd is null || rangeEnd.Length == 0)
        {
            return SingleKey(key);
        }

        return rangeEnd is [0] ? new KeyRange(key, null, false) : new KeyRange(key, rangeEnd, false);
    }

    public static KeyRange SingleKey(byte[] key)
    {
        var successor = new byte[key.Length + 1];
        key.CopyTo(successor, 0);
        return new KeyRange(key, successor, true);
    }

    /// <summary>[start, end); end null = unbounded.</summary>
    public static KeyRange Between(byte[] start, byte[]? end) => new(start, end, false);

    /// <summary>All keys with the given prefix (etcd's GetPrefixRangeEnd).</summary>
    public static KeyRange Prefix(byte[] prefix)
    {
        for (var i = prefix.Length - 1; i >= 0; i--)
        {
            if (prefix[i] < 0xff)
            {
                var end = prefix.AsSpan(0, i + 1).ToArray();
                end[i]++;
                return new KeyRange(prefix, end, false);
            }
        }

        return new KeyRange(prefix, null, false);
    }

    /// <summary>True when both ranges have the same bounds.</summary>
    public bool HasSameBounds(KeyRange other) =>
        Start.AsSpan().SequenceEqual(other.Start) &&
        (End is null ? other.End is null : other.End is not null && End.AsSpan().SequenceEqual(other.End));

    public bool Contains(ReadOnlySpan<byte> key)
        => KeyBytes.Compare(key, Start) >= 0 && (End is null || KeyBytes.Compare(key, End) < 0);

    /// <summary>The keys in both ranges (possibly an empty range).</summary>
    public KeyRange Intersect(KeyRange other)
    {
        var start = KeyBytes.Compare(Start, other.Start) >= 0 ? Start : other.Start;
        byte[]? end = End is null ? other.End
            : other.End is null ? End
            : KeyBytes.Compare(End, other.End) <= 0 ? End : other.End;
        if (ReferenceEquals(start, Start) && ReferenceEquals(end, End))
        {
            return this;
        }

        if (ReferenceEquals(start, other.Start) && ReferenceEquals(end, other.End))
        {
            return other;
        }

        return new KeyRange(start, end, false);
    }

    public override string ToString()
        => $"[{Convert.ToHexString(Start)}, {(End is null ? "+inf" : Convert.ToHexString(End))})";
}
