namespace EtcdOrleans.Raft;

/// <summary>What a log entry carries.</summary>
public enum EntryType : byte
{
    /// <summary>Application data (an EtcdOrleans effect); empty data is the leader's no-op of a new term.</summary>
    Normal = 0,

    /// <summary>A membership change, encoded by <see cref="ConfChange"/>.</summary>
    ConfChange = 1,
}

/// <summary>
/// One Raft log entry. Entries are immutable once created; <see cref="Data"/> is never mutated
/// after the entry is handed to the core, so it may be shared between the log, messages and storage.
/// </summary>
public sealed record Entry(ulong Term, ulong Index, EntryType Type, ReadOnlyMemory<byte> Data)
{
    /// <summary>Approximate size in bytes, used for message and batch byte caps.</summary>
    public int Size => Data.Length + 17;

    /// <summary>A normal entry carrying <paramref name="data"/>.</summary>
    public static Entry Normal(ulong term, ulong index, ReadOnlyMemory<byte> data) => new(term, index, EntryType.Normal, data);
}
