namespace EtcdOrleans.Mvcc;

/// <summary>
/// Every retained version of one key, in revision order. A version whose value is null is a tombstone:
/// it ends a generation (etcd's keyIndex generations, flattened). Reads at main revision R see the last
/// version with Main &lt;= R, or nothing when that version is a tombstone.
/// </summary>
internal sealed class KeyIndex
{
    private KeyVersion[] _versions;
    private int _count;

    public KeyIndex(byte[] key)
    {
        Key = key;
        _versions = [];
    }

    public byte[] Key { get; }

    public int Count => _count;

    public bool IsEmpty => _count == 0;

    public KeyVersion this[int index] => _versions[index];

    public KeyVersion Last => _versions[_count - 1];

    public void Append(Revision revision, KeyValue? value)
    {
        if (_count > 0 && revision <= _versions[_count - 1].Revision)
        {
            throw new EffectOrderException($"Revision {revision} is not after {_versions[_count - 1].Revision} for a key.");
        }

        if (_count == _versions.Length)
        {
            Array.Resize(ref _versions, _count == 0 ? 1 : _count * 2);
        }

        _versions[_count++] = new KeyVersion(revision, value);
    }

    /// <summary>Removes the last version (rolling back an unfinished write).</summary>
    public void RemoveLast()
    {
        _versions[--_count] = default;
    }

    /// <summary>The key's value at main revision <paramref name="atMain"/>, or null.</summary>
    public KeyValue? Get(long atMain)
    {
        var i = LastAtOrBefore(atMain);
        return i < 0 ? null : _versions[i].Value;
    }

    /// <summary>The version at exactly <paramref name="revision"/>, if retained.</summary>
    public bool TryGetExact(Revision revision, out KeyVersion version)
    {
        int lo = 0, hi = _count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = _versions[mid].Revision.CompareTo(revision);
            if (c == 0)
            {
                version = _versions[mid];
                return true;
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        version = default;
        return false;
    }

    /// <summary>
    /// etcd's keyIndex.compact: keep the last version at or before <paramref name="atMain"/> unless it is a
    /// tombstone, and everything after it.
    /// </summary>
    public void Compact(long atMain)
    {
        var i = LastAtOrBefore(atMain);
        if (i < 0)
        {
            return;
        }

        var drop = _versions[i].IsTombstone ? i + 1 : i;
        if (drop == 0)
        {
            return;
        }

        Array.Copy(_versions, drop, _versions, 0, _count - drop);
        Array.Clear(_versions, _count - drop, drop);
        _count -= drop;
        if (_count < _versions.Length / 4)
        {
            Array.Resize(ref _versions, Math.Max(_count, 1));
        }
    }

    private int LastAtOrBefore(long main)
    {
        int lo = 0, hi = _count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_versions[mid].Revision.Main <= main)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }
}

/// <summary>One retained version of a key; <see cref="Value"/> null = tombstone.</summary>
internal readonly struct KeyVersion
{
    public KeyVersion(Revision revision, KeyValue? value)
    {
        Revision = revision;
        Value = value;
    }

    public Revision Revision { get; }

    public KeyValue? Value { get; }

    public bool IsTombstone => Value is null;
}

/// <summary>Orders <see cref="KeyIndex"/> by key bytes.</summary>
internal sealed class KeyIndexComparer : IComparer<KeyIndex>
{
    public static KeyIndexComparer Instance { get; } = new();

    public int Compare(KeyIndex? x, KeyIndex? y) => KeyBytes.Compare(x!.Key, y!.Key);
}
