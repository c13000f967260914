using EtcdOrleans.Raft;

namespace EtcdOrleans.ReplicaLog;

/// <summary>
/// Rebuilds the log from records in the order they were written. Rules:
/// an entry at index i with i &lt;= last index replaces the entries from i on (the suffix truncation of a save);
/// an entry beyond last + 1 is a gap, which is corruption;
/// a snapshot record (index S, term T) drops the entries up to S, and drops them all when the log has no entry at S
/// with term T (a snapshot that replaced a conflicting log);
/// the latest hard state record wins. Segment headers repeat the hard state and snapshot, so replay may start at any
/// segment.
/// </summary>
internal sealed class LogReplayer
{
    private readonly List<Entry> _entries = [];

    public HardState HardState { get; private set; }

    public ulong SnapshotIndex { get; private set; }

    public ulong SnapshotTerm { get; private set; }

    public IReadOnlyList<Entry> Entries => _entries;

    public ulong LastIndex => _entries.Count > 0 ? _entries[^1].Index : SnapshotIndex;

    /// <summary>Applies one entry; returns false on a gap.</summary>
    public bool ApplyEntry(Entry entry)
    {
        if (_entries.Count > 0)
        {
            var first = _entries[0].Index;
            var last = _entries[^1].Index;
            if (entry.Index > last + 1)
            {
                return false;
            }

            if (entry.Index < first)
            {
                _entries.Clear();
            }
            else if (entry.Index <= last)
            {
                _entries.RemoveRange((int)(entry.Index - first), (int)(last - entry.Index + 1));
            }
        }

        _entries.Add(entry);
        return true;
    }

    public void ApplyHardState(HardState state) => HardState = state;

    public void ApplySnapshot(ulong index, ulong term)
    {
        if (index < SnapshotIndex)
        {
            return;
        }

        SnapshotIndex = index;
        SnapshotTerm = term;
        if (_entries.Count == 0)
        {
            return;
        }

        var first = _entries[0].Index;
        if (index < first)
        {
            return;
        }

        var last = _entries[^1].Index;
        if (index > last || _entries[(int)(index - first)].Term != term)
        {
            _entries.Clear();
            return;
        }

        _entries.RemoveRange(0, (int)(index - first + 1));
    }

    public void ApplySegmentHeader(in SegmentHeader header)
    {
        HardState = header.HardState;
        ApplySnapshot(header.SnapshotIndex, header.SnapshotTerm);
    }

    /// <summary>The entries with index in [from, to).</summary>
    public List<Entry> Range(ulong from, ulong to) => _entries.Where(e => e.Index >= from && e.Index < to).ToList();
}
