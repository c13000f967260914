namespace EtcdOrleans.Raft;

/// <summary>
/// An in-memory <see cref="IRaftStorage"/>: the host appends to it what it has persisted elsewhere (or, in tests, treats
/// it as the durable store). Not thread-safe: use it from the thread that drives the node.
/// </summary>
public sealed class MemoryRaftStorage : IRaftStorage
{
    // _entries[0] is a placeholder for the entry before the first one kept: the snapshot's, or one after it (the tail kept
    // for followers, see CreateSnapshot).
    private readonly List<Entry> _entries = [];
    private HardState _hardState;
    private Snapshot _snapshot;

    /// <summary>An empty log for a replica that will learn its configuration from the leader.</summary>
    public MemoryRaftStorage()
        : this(ConfState.Empty)
    {
    }

    /// <summary>An empty log for a replica of a brand-new cluster whose initial members are <paramref name="initial"/>.</summary>
    public MemoryRaftStorage(ConfState initial)
    {
        ArgumentNullException.ThrowIfNull(initial);
        _snapshot = new Snapshot(new SnapshotMetadata(0, 0, initial), ReadOnlyMemory<byte>.Empty);
        _entries.Add(Placeholder(0, 0));
    }

    /// <inheritdoc/>
    public ulong FirstIndex => _entries[0].Index + 1;

    /// <inheritdoc/>
    public ulong LastIndex => _entries[0].Index + (ulong)_entries.Count - 1;

    /// <inheritdoc/>
    public Snapshot Snapshot => _snapshot;

    /// <summary>The hard state last stored with <see cref="SetHardState"/>.</summary>
    public HardState HardState => _hardState;

    /// <inheritdoc/>
    public RaftInitialState InitialState() => new(_hardState, _snapshot.Metadata.ConfState);

    /// <inheritdoc/>
    public ulong Term(ulong index)
    {
        var offset = _entries[0].Index;
        if (index < offset || index > LastIndex)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"term of {index} outside [{offset}, {LastIndex}]");
        }

        return _entries[(int)(index - offset)].Term;
    }

    /// <inheritdoc/>
    public IReadOnlyList<Entry> Entries(ulong lo, ulong hi, ulong maxBytes)
    {
        var offset = _entries[0].Index;
        if (lo <= offset || hi > LastIndex + 1 || lo > hi)
        {
            throw new ArgumentOutOfRangeException(nameof(lo), $"entries [{lo}, {hi}) outside [{offset + 1}, {LastIndex + 1})");
        }

        var start = (int)(lo - offset);
        var count = LimitBySize(_entries, start, (int)(hi - lo), maxBytes);
        var result = new Entry[count];
        _entries.CopyTo(start, result, 0, count);
        return result;
    }

    /// <summary>Records the hard state the host has made durable.</summary>
    public void SetHardState(HardState hardState) => _hardState = hardState;

    /// <summary>
    /// Appends entries the host has made durable (the <see cref="Ready.Entries"/> of a ready), replacing any existing
    /// suffix from the first new index on. Entries at or below the snapshot index are ignored.
    /// </summary>
    public void Append(IReadOnlyList<Entry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return;
        }

        var first = FirstIndex;
        var skip = 0;
        while (skip < entries.Count && entries[skip].Index < first)
        {
            skip++;
        }

        if (skip == entries.Count)
        {
            return;
        }

        var from = entries[skip].Index;
        if (from > LastIndex + 1)
        {
            throw new InvalidOperationException($"gap in log: appending {from} after last {LastIndex}");
        }

        var keep = (int)(from - _entries[0].Index);
        _entries.RemoveRange(keep, _entries.Count - keep);
        for (var i = skip; i < entries.Count; i++)
        {
            _entries.Add(entries[i]);
        }
    }

    /// <summary>
    /// Replaces the whole log with a snapshot received from the leader (the <see cref="Ready.Snapshot"/> of a ready).
    /// Snapshots not newer than the current one are ignored, except that a blank storage (no configuration, no entries)
    /// takes a snapshot at its own index, which is how a replica added to a new cluster learns the initial configuration.
    /// </summary>
    public void ApplySnapshot(Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var current = _snapshot.Metadata;
        var adoptsConfiguration = current.ConfState.Voters.Count == 0 && _entries.Count == 1 && snapshot.Metadata.Index == current.Index;
        if (snapshot.Metadata.Index <= current.Index && !adoptsConfiguration)
        {
            // Older than what we hold; a blank replica, though, takes even an index-0 snapshot for its configuration.
            return;
        }

        _snapshot = snapshot;
        _entries.Clear();
        _entries.Add(Placeholder(snapshot.Metadata.Index, snapshot.Metadata.Term));
    }

    /// <summary>
    /// Creates a snapshot at <paramref name="appliedIndex"/> (which the host has applied) holding the state machine's
    /// <paramref name="data"/> and the configuration as of that index, then discards the entries up to and including it.
    /// Returns the new snapshot; does nothing and returns the current one when the index is not past it.
    /// </summary>
    public Snapshot Compact(ulong appliedIndex, ConfState confState, ReadOnlyMemory<byte> data)
    {
        var snapshot = CreateSnapshot(appliedIndex, confState, data);
        CompactTo(snapshot.Metadata.Index);
        return snapshot;
    }

    /// <summary>
    /// Records a snapshot at <paramref name="appliedIndex"/> (which the host has applied) holding the state machine's
    /// <paramref name="data"/> and the configuration as of that index, keeping every entry (etcd-raft's CreateSnapshot):
    /// a follower a little behind still catches up from the entries, and <see cref="CompactTo"/> drops them later.
    /// Returns the new snapshot; does nothing and returns the current one when the index is not past it.
    /// </summary>
    public Snapshot CreateSnapshot(ulong appliedIndex, ConfState confState, ReadOnlyMemory<byte> data)
    {
        ArgumentNullException.ThrowIfNull(confState);
        if (appliedIndex <= _snapshot.Metadata.Index)
        {
            return _snapshot;
        }

        if (appliedIndex > LastIndex)
        {
            throw new ArgumentOutOfRangeException(nameof(appliedIndex), $"snapshot at {appliedIndex} beyond last index {LastIndex}");
        }

        _snapshot = new Snapshot(new SnapshotMetadata(appliedIndex, Term(appliedIndex), confState), data);
        return _snapshot;
    }

    /// <summary>
    /// Discards the entries up to and including <paramref name="index"/>, which must be at most the snapshot's index
    /// (a replica behind the first index left catches up from the snapshot). Does nothing when the index is not past
    /// the first index.
    /// </summary>
    public void CompactTo(ulong index)
    {
        var offset = _entries[0].Index;
        if (index <= offset)
        {
            return;
        }

        if (index > _snapshot.Metadata.Index)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"compact to {index} beyond the snapshot at {_snapshot.Metadata.Index}");
        }

        var term = Term(index);
        _entries.RemoveRange(0, (int)(index - offset));
        _entries[0] = Placeholder(index, term);
    }

    internal static int LimitBySize(IReadOnlyList<Entry> entries, int start, int count, ulong maxBytes)
    {
        if (count == 0)
        {
            return 0;
        }

        var size = (ulong)entries[start].Size;
        var n = 1;
        while (n < count)
        {
            size += (ulong)entries[start + n].Size;
            if (size > maxBytes)
            {
                break;
            }

            n++;
        }

        return n;
    }

    private static Entry Placeholder(ulong index, ulong term) => new(term, index, EntryType.Normal, ReadOnlyMemory<byte>.Empty);
}
