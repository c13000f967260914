namespace EtcdOrleans.Mvcc;

/// <summary>What an <see cref="Effect"/> does. Values are part of the log format: never renumber.</summary>
public enum EffectKind : byte
{
    /// <summary>Key changes at a new main revision (put, delete-range, txn with writes).</summary>
    Mutation = 1,

    /// <summary>Compaction at <see cref="Effect.CompactRevision"/>; does not create a revision.</summary>
    Compaction = 2,

    // 3.. reserved: lease grant, lease revoke (a revoke that deletes keys carries them as Changes), auth, membership.
}

/// <summary>Kind of a key change. Values are part of the log format.</summary>
public enum KeyChangeKind : byte
{
    Put = 1,
    Delete = 2,
}

/// <summary>
/// One resolved key change of a mutating request, at sub-revision <see cref="Sub"/> of the effect's revision.
/// For a delete only <see cref="Key"/> and <see cref="Sub"/> are meaningful.
/// </summary>
public readonly struct KeyChange
{
    private KeyChange(KeyChangeKind kind, byte[] key, byte[] value, long lease, long createRevision, long version, long sub)
    {
        Kind = kind;
        Key = key;
        Value = value;
        Lease = lease;
        CreateRevision = createRevision;
        Version = version;
        Sub = sub;
    }

    public KeyChangeKind Kind { get; }

    public byte[] Key { get; }

    public byte[] Value { get; }

    public long Lease { get; }

    public long CreateRevision { get; }

    public long Version { get; }

    public long Sub { get; }

    public static KeyChange Put(byte[] key, byte[] value, long lease, long createRevision, long version, long sub)
        => new(KeyChangeKind.Put, key, value, lease, createRevision, version, sub);

    public static KeyChange Delete(byte[] key, long sub) => new(KeyChangeKind.Delete, key, [], 0, 0, 0, sub);
}

/// <summary>
/// The resolved, idempotent result of one request, as appended to the Raft log. Applying it needs no reads:
/// a <see cref="EffectKind.Mutation"/> creates main revision <see cref="Revision"/> (exactly the previous
/// revision + 1) with <see cref="Changes"/> in sub-revision order; a <see cref="EffectKind.Compaction"/> was
/// resolved when the revision was <see cref="Revision"/> and compacts at <see cref="CompactRevision"/>.
/// </summary>
public sealed class Effect
{
    private Effect(EffectKind kind, long revision, IReadOnlyList<KeyChange> changes, long compactRevision, bool physical)
    {
        Kind = kind;
        Revision = revision;
        Changes = changes;
        CompactRevision = compactRevision;
        Physical = physical;
    }

    public EffectKind Kind { get; }

    /// <summary>Mutation: the new main revision. Compaction: the current revision when it was resolved.</summary>
    public long Revision { get; }

    public IReadOnlyList<KeyChange> Changes { get; }

    public long CompactRevision { get; }

    public bool Physical { get; }

    /// <summary>True when applying the effect creates main revision <see cref="Revision"/>.</summary>
    public bool CreatesRevision => Changes.Count > 0;

    /// <summary>A mutation; <paramref name="changes"/> must be non-empty with Sub = 0, 1, 2, ... in order.</summary>
    public static Effect Mutation(long revision, IReadOnlyList<KeyChange> changes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(revision, 2);
        if (changes.Count == 0)
        {
            throw new ArgumentException("A mutation has at least one change.", nameof(changes));
        }

        for (var i = 0; i < changes.Count; i++)
        {
            if (changes[i].Sub != i)
            {
                throw new ArgumentException("Changes must have sub-revisions 0, 1, 2, ... in order.", nameof(changes));
            }
        }

        return new Effect(EffectKind.Mutation, revision, changes, 0, false);
    }

    public static Effect Compaction(long currentRevision, long compactRevision, bool physical)
        => new(EffectKind.Compaction, currentRevision, [], compactRevision, physical);
}
