namespace EtcdOrleans.Mvcc;

/// <summary>What an <see cref="Effect"/> does. Values are part of the log format: never renumber.</summary>
public enum EffectKind : byte
{
    /// <summary>Key changes at a new main revision (put, delete-range, txn with writes).</summary>
    Mutation = 1,

    /// <summary>Compaction at <see cref="Effect.CompactRevision"/>; does not create a revision.</summary>
    Compaction = 2,

    /// <summary>Grant of lease <see cref="Effect.LeaseId"/> with TTL <see cref="Effect.LeaseTtl"/>; does not create a revision.</summary>
    LeaseGrant = 3,

    /// <summary>
    /// Revocation of lease <see cref="Effect.LeaseId"/>. Its attached keys are deleted as <see cref="Effect.Changes"/>
    /// (key order) at a new revision; a revoke of a lease without keys creates no revision.
    /// </summary>
    LeaseRevoke = 4,

    // 5.. reserved: auth, membership.
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
    private Effect(EffectKind kind, long revision, IReadOnlyList<KeyChange> changes, long compactRevision, bool physical, long leaseId = 0, long leaseTtl = 0)
    {
        Kind = kind;
        Revision = revision;
        Changes = changes;
        CompactRevision = compactRevision;
        Physical = physical;
        LeaseId = leaseId;
        LeaseTtl = leaseTtl;
    }

    public EffectKind Kind { get; }

    /// <summary>
    /// Mutation, and a lease revoke that deletes keys: the new main revision. Otherwise the current revision when the
    /// effect was resolved.
    /// </summary>
    public long Revision { get; }

    public IReadOnlyList<KeyChange> Changes { get; }

    public long CompactRevision { get; }

    public bool Physical { get; }

    /// <summary>The lease granted or revoked (lease effects only).</summary>
    public long LeaseId { get; }

    /// <summary>The granted TTL in seconds, already raised to the minimum (lease grants only).</summary>
    public long LeaseTtl { get; }

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

        RequireOrderedSubs(changes);
        return new Effect(EffectKind.Mutation, revision, changes, 0, false);
    }

    /// <summary>A lease grant resolved at <paramref name="currentRevision"/> (which it does not change).</summary>
    public static Effect LeaseGrant(long currentRevision, long leaseId, long ttl)
        => new(EffectKind.LeaseGrant, currentRevision, [], 0, false, leaseId, ttl);

    /// <summary>
    /// A lease revoke. With <paramref name="deletes"/> (deletes only, Sub = 0, 1, 2, ... in key order) it creates
    /// <paramref name="revision"/>; without, <paramref name="revision"/> is the current revision, left unchanged.
    /// </summary>
    public static Effect LeaseRevoke(long revision, long leaseId, IReadOnlyList<KeyChange> deletes)
    {
        RequireOrderedSubs(deletes);
        foreach (var change in deletes)
        {
            if (change.Kind != KeyChangeKind.Delete)
            {
                throw new ArgumentException("A lease revoke only deletes keys.", nameof(deletes));
            }
        }

        if (deletes.Count > 0)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(revision, 2);
        }

        return new Effect(EffectKind.LeaseRevoke, revision, deletes, 0, false, leaseId);
    }

    private static void RequireOrderedSubs(IReadOnlyList<KeyChange> changes)
    {
        for (var i = 0; i < changes.Count; i++)
        {
            if (changes[i].Sub != i)
            {
                throw new ArgumentException("Changes must have sub-revisions 0, 1, 2, ... in order.", nameof(changes));
            }
        }
    }

    public static Effect Compaction(long currentRevision, long compactRevision, bool physical)
        => new(EffectKind.Compaction, currentRevision, [], compactRevision, physical);
}
