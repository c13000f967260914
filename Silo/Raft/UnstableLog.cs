namespace EtcdOrleans.Raft;

/// <summary>
/// The tail of the log not yet handed to the host for persistence, and possibly a snapshot received from the leader
/// and not yet installed. Entry i lives at <c>_entries[i - Offset]</c>.
/// </summary>
internal sealed class UnstableLog
{
    private readonly List<Entry> _entries = [];

    public UnstableLog(ulong offset) => Offset = offset;

    public ulong Offset { get; private set; }

    public Snapshot? Snapshot { get; private set; }

    public int Count => _entries.Count;

    public bool TryFirstIndex(out ulong index)
    {
        index = Snapshot is null ? 0 : Snapshot.Metadata.Index + 1;
        return Snapshot is not null;
    }

    public bool TryLastIndex(out ulong index)
    {
        if (_entries.Count > 0)
        {
            index = Offset + (ulong)_entries.Count - 1;
            return true;
        }

        index = Snapshot is null ? 0 : Snapshot.Metadata.Index;
        return Snapshot is not null;
    }

    public bool TryTerm(ulong index, out ulong term)
    {
        term = 0;
        if (index < Offset)
        {
            if (Snapshot is not null && Snapshot.Metadata.Index == index)
            {
                term = Snapshot.Metadata.Term;
                return true;
            }

            return false;
        }

        if (!TryLastIndex(out var last) || index > last)
        {
            return false;
        }

        term = _entries[(int)(index - Offset)].Term;
        return true;
    }

    /// <summary>The host persisted entries up to (index, term): drop them, unless they were since replaced.</summary>
    public void StableTo(ulong index, ulong term)
    {
        if (index < Offset || !TryTerm(index, out var current) || current != term)
        {
            return;
        }

        _entries.RemoveRange(0, (int)(index + 1 - Offset));
        Offset = index + 1;
    }

    public void StableSnapshotTo(ulong index)
    {
        if (Snapshot is not null && Snapshot.Metadata.Index == index)
        {
            Snapshot = null;
        }
    }

    public void Restore(Snapshot snapshot)
    {
        Offset = snapshot.Metadata.Index + 1;
        _entries.Clear();
        Snapshot = snapshot;
    }

    /// <summary>Appends <paramref name="entries"/>[start..], truncating any existing suffix from the first new index.</summary>
    public void TruncateAndAppend(IReadOnlyList<Entry> entries, int start)
    {
        var from = entries[start].Index;
        if (from < Offset)
        {
            Offset = from;
            _entries.Clear();
        }
        else if (from < Offset + (ulong)_entries.Count)
        {
            var keep = (int)(from - Offset);
            _entries.RemoveRange(keep, _entries.Count - keep);
        }

        for (var i = start; i < entries.Count; i++)
        {
            _entries.Add(entries[i]);
        }
    }

    public void Append(Entry entry) => _entries.Add(entry);

    /// <summary>Copies entries [lo, hi) (all within the unstable range) to <paramref name="destination"/>.</summary>
    public void CopyTo(ulong lo, ulong hi, List<Entry> destination)
    {
        for (var i = lo; i < hi; i++)
        {
            destination.Add(_entries[(int)(i - Offset)]);
        }
    }

    public Entry At(ulong index) => _entries[(int)(index - Offset)];

    public Entry[] ToArray() => [.. _entries];
}
