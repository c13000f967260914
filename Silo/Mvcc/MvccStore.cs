namespace EtcdOrleans.Mvcc;

/// <summary>
/// Every revision of the keys of one key range since the last compaction, in memory.
/// Not thread-safe: one owner (a grain, the sequencer) calls it at a time.
/// </summary>
/// <remarks>
/// <para>Like etcd's store, a fresh store is at revision 1 with nothing compacted (compacted revision -1);
/// the first mutation creates revision 2.</para>
/// <para>Invariants: <see cref="CurrentRevision"/> grows by exactly one per applied mutation effect (or jumps
/// with <see cref="AdvanceTo"/> when the skipped revisions touched no key of <see cref="OwnedRange"/>);
/// re-applying an effect is a no-op; a read at one revision is one consistent snapshot.</para>
/// </remarks>
public sealed partial class MvccStore
{
    private SortedSet<KeyIndex> _keys = new(KeyIndexComparer.Instance);

    // Every retained (revision, key) in revision order, for watch history.
    private List<LogEntry> _log = [];

    /// <summary>A store of all keys at revision 1.</summary>
    public MvccStore()
        : this(KeyRange.All)
    {
    }

    /// <summary>A store for the keys in <paramref name="ownedRange"/> at revision 1.</summary>
    public MvccStore(KeyRange ownedRange)
    {
        OwnedRange = ownedRange;
    }

    /// <summary>The keys this store holds; changes to other keys in applied effects are skipped.</summary>
    public KeyRange OwnedRange { get; }

    /// <summary>The last revision applied (etcd's currentRev); 1 for a fresh store.</summary>
    public long CurrentRevision { get; private set; } = 1;

    /// <summary>The last compaction revision (etcd's compactMainRev); -1 when never compacted.</summary>
    public long CompactedRevision { get; private set; } = -1;

    /// <summary>Number of keys with at least one retained version (tombstoned keys count until compacted away).</summary>
    public int IndexedKeyCount => _keys.Count;

    /// <summary>
    /// Applies <paramref name="effect"/> idempotently. A mutation at a revision &lt;= <see cref="CurrentRevision"/>
    /// or a compaction at a revision &lt;= <see cref="CompactedRevision"/> is a no-op (returns false).
    /// A mutation must be at exactly <see cref="CurrentRevision"/> + 1 and a compaction at most at
    /// <see cref="CurrentRevision"/>; otherwise <see cref="EffectOrderException"/> (a gap).
    /// Lease effects change the lease table of a store of all keys (<see cref="TracksLeases"/>); a lease revoke that
    /// deletes keys is applied like a mutation. Effects of kinds unknown to the MVCC layer that create no revision
    /// are ignored.
    /// </summary>
    public bool Apply(Effect effect)
    {
        if (effect.CreatesRevision)
        {
            if (effect.Revision <= CurrentRevision)
            {
                return false;
            }

            if (effect.Revision != CurrentRevision + 1)
            {
                throw new EffectOrderException($"Effect at revision {effect.Revision} after revision {CurrentRevision}: gap.");
            }

            foreach (var change in effect.Changes)
            {
                if (!OwnedRange.Contains(change.Key))
                {
                    continue;
                }

                var revision = new Revision(effect.Revision, change.Sub);
                if (change.Kind == KeyChangeKind.Put)
                {
                    WritePut(new KeyValue(change.Key, change.Value, change.CreateRevision, effect.Revision, change.Version, change.Lease), change.Sub);
                }
                else
                {
                    WriteTombstone(change.Key, revision);
                }
            }

            CurrentRevision = effect.Revision;
            ApplyLeaseEffect(effect);
            return true;
        }

        if (effect.Kind is EffectKind.LeaseGrant or EffectKind.LeaseRevoke)
        {
            return ApplyLeaseEffect(effect);
        }

        if (effect.Kind == EffectKind.Compaction)
        {
            if (effect.CompactRevision <= CompactedRevision)
            {
                return false;
            }

            if (effect.CompactRevision > CurrentRevision)
            {
                throw new EffectOrderException($"Compaction at {effect.CompactRevision} before revision {effect.CompactRevision} was applied (current {CurrentRevision}).");
            }

            CompactCore(effect.CompactRevision);
            return true;
        }

        return false;
    }

    /// <summary>
    /// Declares that revisions up to <paramref name="revision"/> touched no key of <see cref="OwnedRange"/>,
    /// so reads at them are answerable. No-op when already there.
    /// </summary>
    public void AdvanceTo(long revision)
    {
        if (revision > CurrentRevision)
        {
            CurrentRevision = revision;
        }
    }

    /// <summary>
    /// etcd's Compact: afterwards reads at revisions &gt;= <paramref name="revision"/> answer as before, reads below fail
    /// with <see cref="MvccError.Compacted"/>. Errors: <see cref="MvccError.Compacted"/> when
    /// <paramref name="revision"/> &lt;= <see cref="CompactedRevision"/>, <see cref="MvccError.FutureRevision"/> when
    /// &gt; <see cref="CurrentRevision"/>.
    /// </summary>
    public void Compact(long revision)
    {
        if (revision <= CompactedRevision)
        {
            MvccErrors.Throw(MvccError.Compacted);
        }

        if (revision > CurrentRevision)
        {
            MvccErrors.Throw(MvccError.FutureRevision);
        }

        CompactCore(revision);
    }

    /// <summary>A deep copy of the index sharing the immutable key-values (for rebuilding a sequencer).</summary>
    public MvccStore Clone() => CloneRange(OwnedRange);

    /// <summary>
    /// A deep copy holding only the keys in <paramref name="range"/> (which becomes its <see cref="OwnedRange"/>), at
    /// the same current and compacted revisions: how a range grain takes its part of a replica's snapshot.
    /// </summary>
    public MvccStore CloneRange(KeyRange range)
    {
        var copy = new MvccStore(range)
        {
            CurrentRevision = CurrentRevision,
            CompactedRevision = CompactedRevision,
        };
        if (copy.TracksLeases && TracksLeases)
        {
            copy.Leases = Leases.Clone();
        }

        var map = new Dictionary<KeyIndex, KeyIndex>(_keys.Count, ReferenceEqualityComparer.Instance);
        var cloned = new List<KeyIndex>(_keys.Count);
        foreach (var index in _keys)
        {
            if (!range.Contains(index.Key))
            {
                continue;
            }

            var c = new KeyIndex(index.Key);
            for (var i = 0; i < index.Count; i++)
            {
                c.Append(index[i].Revision, index[i].Value);
            }

            map.Add(index, c);
            cloned.Add(c);
        }

        copy._keys = new SortedSet<KeyIndex>(cloned, KeyIndexComparer.Instance);
        copy._log = new List<LogEntry>(_log.Count);
        foreach (var entry in _log)
        {
            if (map.TryGetValue(entry.Index, out var c))
            {
                copy._log.Add(new LogEntry(entry.Revision, c));
            }
            else if (range.Contains(entry.Index.Key))
            {
                copy._log.Add(new LogEntry(entry.Revision, new KeyIndex(entry.Index.Key)));
            }
        }

        return copy;
    }

    internal void WritePut(KeyValue kv, long sub)
    {
        var index = FindOrAdd(kv.Key);
        MoveAttachment(index.IsEmpty ? null : index.Last.Value, kv);
        var revision = new Revision(kv.ModRevision, sub);
        index.Append(revision, kv);
        _log.Add(new LogEntry(revision, index));
    }

    internal void WriteTombstone(byte[] key, Revision revision)
    {
        var index = FindOrAdd(key);
        MoveAttachment(index.IsEmpty ? null : index.Last.Value, null);
        index.Append(revision, null);
        _log.Add(new LogEntry(revision, index));
    }

    internal void SetCurrentRevision(long revision) => CurrentRevision = revision;

    /// <summary>Undoes every write at main revision <paramref name="main"/> made after <see cref="CurrentRevision"/>.</summary>
    internal void RollBack(long main)
    {
        while (_log.Count > 0 && _log[^1].Revision.Main == main)
        {
            var index = _log[^1].Index;
            var undone = index.Last.Value;
            index.RemoveLast();
            MoveAttachment(undone, index.IsEmpty ? null : index.Last.Value);
            if (index.IsEmpty)
            {
                _keys.Remove(index);
            }

            _log.RemoveAt(_log.Count - 1);
        }
    }

    internal KeyIndex? Find(byte[] key)
        => _keys.TryGetValue(new KeyIndex(key), out var index) ? index : null;

    /// <summary>The key indexes in <paramref name="range"/> (intersected with nothing), in key order.</summary>
    internal IEnumerable<KeyIndex> IndexesIn(KeyRange range)
    {
        if (range.IsSingleKey)
        {
            var index = Find(range.Start);
            if (index is not null)
            {
                yield return index;
            }

            yield break;
        }

        if (range.IsEmpty || _keys.Count == 0)
        {
            yield break;
        }

        var lower = new KeyIndex(range.Start);
        var upper = range.End is null ? _keys.Max! : new KeyIndex(range.End);
        if (KeyIndexComparer.Instance.Compare(lower, upper) > 0)
        {
            yield break;
        }

        foreach (var index in _keys.GetViewBetween(lower, upper))
        {
            if (range.End is not null && KeyBytes.Compare(index.Key, range.End) >= 0)
            {
                yield break;
            }

            yield return index;
        }
    }

    private KeyIndex FindOrAdd(byte[] key)
    {
        var probe = new KeyIndex(key);
        if (_keys.TryGetValue(probe, out var existing))
        {
            return existing;
        }

        _keys.Add(probe);
        return probe;
    }

    private void CompactCore(long revision)
    {
        List<KeyIndex>? emptied = null;
        foreach (var index in _keys)
        {
            index.Compact(revision);
            if (index.IsEmpty)
            {
                (emptied ??= []).Add(index);
            }
        }

        if (emptied is not null)
        {
            foreach (var index in emptied)
            {
                _keys.Remove(index);
            }
        }

        var firstKept = FirstLogIndexAtOrAfter(revision);
        _log.RemoveRange(0, firstKept);
        if (_log.Count < _log.Capacity / 4)
        {
            _log.TrimExcess();
        }

        CompactedRevision = revision;
    }

    private int FirstLogIndexAtOrAfter(long main)
    {
        int lo = 0, hi = _log.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_log[mid].Revision.Main < main)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private readonly record struct LogEntry(Revision Revision, KeyIndex Index);
}
