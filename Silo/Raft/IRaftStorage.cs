namespace EtcdOrleans.Raft;

/// <summary>What a replica had made durable when it (re)started.</summary>
public readonly record struct RaftInitialState(HardState HardState, ConfState ConfState);

/// <summary>
/// The read-only view of the durable log that the core reads through (the shape of etcd-raft's Storage). The host
/// writes to its implementation only between <see cref="RaftNode.GetReady"/> and <see cref="RaftNode.Advance"/>, after
/// persisting; the core never writes. The log holds the entries <see cref="FirstIndex"/>..<see cref="LastIndex"/>
/// (empty when LastIndex = FirstIndex - 1) and a snapshot at index <see cref="FirstIndex"/> - 1 or later: a host may
/// keep a tail of entries the snapshot covers, for followers a little behind (etcd-raft's CreateSnapshot and Compact).
/// </summary>
public interface IRaftStorage
{
    /// <summary>The hard state and configuration last made durable.</summary>
    RaftInitialState InitialState();

    /// <summary>Index of the first available entry (snapshot index + 1).</summary>
    ulong FirstIndex { get; }

    /// <summary>Index of the last entry (the snapshot index when there are none).</summary>
    ulong LastIndex { get; }

    /// <summary>Term of the entry at <paramref name="index"/>, for FirstIndex - 1 &lt;= index &lt;= LastIndex (FirstIndex - 1 gives the snapshot's term).</summary>
    ulong Term(ulong index);

    /// <summary>
    /// Entries [lo, hi) in order, for FirstIndex &lt;= lo &lt;= hi &lt;= LastIndex + 1, stopping before the total size would
    /// exceed <paramref name="maxBytes"/> but always returning at least one entry when lo &lt; hi.
    /// </summary>
    IReadOnlyList<Entry> Entries(ulong lo, ulong hi, ulong maxBytes);

    /// <summary>The latest snapshot (its index is at least FirstIndex - 1), or <see cref="Raft.Snapshot.Empty"/>.</summary>
    Snapshot Snapshot { get; }
}
