namespace EtcdOrleans.Raft;

/// <summary>
/// The replica's view of the log: the durable part read through <see cref="IRaftStorage"/> followed by the unstable
/// tail, with the commit and applied indexes. Invariant: applied &lt;= committed &lt;= last index.
/// </summary>
internal sealed class RaftLog
{
    private readonly IRaftStorage _storage;
    private readonly UnstableLog _unstable;
    private readonly List<Entry> _scratch = [];

    public RaftLog(IRaftStorage storage)
    {
        _storage = storage;
        _unstable = new UnstableLog(storage.LastIndex + 1);
        // The state machine restarts from the snapshot, which may cover a tail of entries the host kept.
        Committed = Math.Max(storage.FirstIndex - 1, storage.Snapshot.Metadata.Index);
        Applied = Committed;
    }

    public ulong Committed { get; private set; }

    public ulong Applied { get; private set; }

    public UnstableLog Unstable => _unstable;

    public ulong FirstIndex => _unstable.TryFirstIndex(out var index) ? index : _storage.FirstIndex;

    public ulong LastIndex => _unstable.TryLastIndex(out var index) ? index : _storage.LastIndex;

    public ulong LastTerm => Term(LastIndex);

    /// <summary>Term of entry <paramref name="index"/>, or 0 when it is compacted or beyond the last entry.</summary>
    public ulong Term(ulong index) => TryTerm(index, out var term) ? term : 0;

    public bool TryTerm(ulong index, out ulong term)
    {
        term = 0;
        var first = FirstIndex;
        if (index + 1 < first || index > LastIndex)
        {
            return false;
        }

        if (_unstable.TryTerm(index, out term))
        {
            return true;
        }

        if (index + 1 < _storage.FirstIndex || index > _storage.LastIndex)
        {
            return false;
        }

        term = _storage.Term(index);
        return true;
    }

    public bool MatchTerm(ulong index, ulong term) => TryTerm(index, out var t) && t == term;

    /// <summary>Raft §5.4.1: a candidate's log is at least as up-to-date as ours.</summary>
    public bool IsUpToDate(ulong lastIndex, ulong term)
    {
        var ourTerm = LastTerm;
        return term > ourTerm || (term == ourTerm && lastIndex >= LastIndex);
    }

    /// <summary>
    /// Follower side of AppendEntries: if our entry at <paramref name="index"/> has <paramref name="logTerm"/>, append
    /// the new entries (truncating a conflicting suffix) and advance the commit. Returns false on a mismatch.
    /// </summary>
    public bool TryAppend(ulong index, ulong logTerm, ulong leaderCommit, IReadOnlyList<Entry> entries, out ulong lastNewIndex)
    {
        lastNewIndex = 0;
        if (!MatchTerm(index, logTerm))
        {
            return false;
        }

        lastNewIndex = index + (ulong)entries.Count;
        var conflict = FindConflict(entries);
        if (conflict != 0)
        {
            if (conflict <= Committed)
            {
                throw new InvalidOperationException($"entry {conflict} conflicts with committed entry (committed {Committed})");
            }

            Append(entries, (int)(conflict - (index + 1)));
        }

        CommitTo(Math.Min(leaderCommit, lastNewIndex));
        return true;
    }

    /// <summary>First index whose entry is new or differs in term from ours; 0 when all are already present.</summary>
    private ulong FindConflict(IReadOnlyList<Entry> entries)
    {
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            if (!MatchTerm(e.Index, e.Term))
            {
                return e.Index;
            }
        }

        return 0;
    }

    /// <summary>
    /// The fast back-off search: from <paramref name="index"/> downwards, the largest index whose term is at most
    /// <paramref name="term"/>, with its term (0 when unknown).
    /// </summary>
    public (ulong Index, ulong Term) FindConflictByTerm(ulong index, ulong term)
    {
        while (true)
        {
            if (!TryTerm(index, out var ourTerm))
            {
                return (index, 0);
            }

            if (ourTerm <= term || index == 0)
            {
                return (index, ourTerm);
            }

            index--;
        }
    }

    public void Append(IReadOnlyList<Entry> entries, int start)
    {
        if (start >= entries.Count)
        {
            return;
        }

        if (entries[start].Index - 1 < Committed)
        {
            throw new InvalidOperationException($"appending after {entries[start].Index - 1} would overwrite committed {Committed}");
        }

        _unstable.TruncateAndAppend(entries, start);
    }

    /// <summary>Leader side: append one new entry at the end.</summary>
    public void Append(Entry entry) => _unstable.Append(entry);

    public void CommitTo(ulong index)
    {
        if (index <= Committed)
        {
            return;
        }

        if (index > LastIndex)
        {
            throw new InvalidOperationException($"commit {index} beyond last index {LastIndex}");
        }

        Committed = index;
    }

    /// <summary>Leader commit rule: commit <paramref name="index"/> only if its entry is of <paramref name="term"/> (the current term).</summary>
    public bool MaybeCommit(ulong index, ulong term)
    {
        if (index > Committed && Term(index) == term)
        {
            Committed = index;
            return true;
        }

        return false;
    }

    public void AppliedTo(ulong index)
    {
        if (index == 0)
        {
            return;
        }

        if (index > Committed || index < Applied)
        {
            throw new InvalidOperationException($"applied {index} outside [{Applied}, {Committed}]");
        }

        Applied = index;
    }

    public void StableTo(ulong index, ulong term) => _unstable.StableTo(index, term);

    public void StableSnapshotTo(ulong index) => _unstable.StableSnapshotTo(index);

    public void Restore(Snapshot snapshot)
    {
        Committed = snapshot.Metadata.Index;
        _unstable.Restore(snapshot);
    }

    /// <summary>After the host installed a snapshot, the state machine is at its index.</summary>
    public void AppliedSnapshot(ulong index)
    {
        if (index > Applied)
        {
            Applied = index;
        }
    }

    public Snapshot Snapshot() => _unstable.Snapshot ?? _storage.Snapshot;

    public bool HasNextCommittedEntries => Committed + 1 > Math.Max(Applied + 1, FirstIndex);

    public IReadOnlyList<Entry> NextCommittedEntries(ulong maxBytes)
    {
        var lo = Math.Max(Applied + 1, FirstIndex);
        return Committed + 1 > lo ? Slice(lo, Committed + 1, maxBytes) : [];
    }

    /// <summary>Entries from <paramref name="lo"/> to the end, capped by bytes; requires lo &gt;= FirstIndex.</summary>
    public IReadOnlyList<Entry> EntriesFrom(ulong lo, ulong maxBytes) => lo > LastIndex ? [] : Slice(lo, LastIndex + 1, maxBytes);

    /// <summary>Entries [lo, hi), capped by bytes (at least one); requires FirstIndex &lt;= lo &lt;= hi &lt;= LastIndex + 1.</summary>
    public IReadOnlyList<Entry> Slice(ulong lo, ulong hi, ulong maxBytes)
    {
        if (lo < FirstIndex || hi > LastIndex + 1 || lo > hi)
        {
            throw new InvalidOperationException($"slice [{lo}, {hi}) outside [{FirstIndex}, {LastIndex + 1})");
        }

        if (lo == hi)
        {
            return [];
        }

        var stableEnd = Math.Min(hi, _unstable.Offset);
        if (lo >= _unstable.Offset)
        {
            // Entirely unstable.
            _scratch.Clear();
            _unstable.CopyTo(lo, hi, _scratch);
            return Trim(_scratch, maxBytes);
        }

        var stored = _storage.Entries(lo, stableEnd, maxBytes);
        if (hi <= _unstable.Offset || (ulong)stored.Count < stableEnd - lo)
        {
            return stored;
        }

        _scratch.Clear();
        _scratch.AddRange(stored);
        _unstable.CopyTo(_unstable.Offset, hi, _scratch);
        return Trim(_scratch, maxBytes);
    }

    private static Entry[] Trim(List<Entry> entries, ulong maxBytes)
    {
        var count = MemoryRaftStorage.LimitBySize(entries, 0, entries.Count, maxBytes);
        var result = new Entry[count];
        entries.CopyTo(0, result, 0, count);
        return result;
    }

    public bool HasConfChangeBetween(ulong lo, ulong hi)
    {
        if (lo < FirstIndex)
        {
            lo = FirstIndex;
        }

        for (var i = lo; i <= hi && i <= LastIndex; i++)
        {
            if (EntryAt(i).Type == EntryType.ConfChange)
            {
                return true;
            }
        }

        return false;
    }

    private Entry EntryAt(ulong index) =>
        index >= _unstable.Offset ? _unstable.At(index) : _storage.Entries(index, index + 1, ulong.MaxValue)[0];
}
