namespace EtcdOrleans.Raft;

/// <summary>The voting members and the non-voting learners of a configuration. Replica ids are non-zero.</summary>
public sealed record ConfState(IReadOnlyList<ulong> Voters, IReadOnlyList<ulong> Learners)
{
    /// <summary>No members at all: the configuration of an empty snapshot.</summary>
    public static readonly ConfState Empty = new(Array.Empty<ulong>(), Array.Empty<ulong>());

    /// <summary>Structural equality over the member lists (order-insensitive).</summary>
    public bool SameMembers(ConfState other) =>
        Voters.Order().SequenceEqual(other.Voters.Order()) && Learners.Order().SequenceEqual(other.Learners.Order());
}

/// <summary>Where a snapshot sits in the log: the last index and term it covers and the configuration as of that index.</summary>
public sealed record SnapshotMetadata(ulong Index, ulong Term, ConfState ConfState)
{
    /// <summary>The metadata of "no snapshot".</summary>
    public static readonly SnapshotMetadata Empty = new(0, 0, ConfState.Empty);
}

/// <summary>
/// A snapshot of the replicated state machine at <see cref="SnapshotMetadata.Index"/>. <see cref="Data"/> is opaque to
/// Raft: the host produces it from its applied state and installs it on a replica that has fallen behind the log.
/// </summary>
public sealed record Snapshot(SnapshotMetadata Metadata, ReadOnlyMemory<byte> Data)
{
    /// <summary>No snapshot.</summary>
    public static readonly Snapshot Empty = new(SnapshotMetadata.Empty, ReadOnlyMemory<byte>.Empty);

    /// <summary>True when this is <see cref="Empty"/> (index 0).</summary>
    public bool IsEmpty => Metadata.Index == 0;
}
