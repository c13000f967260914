namespace EtcdOrleans.Mvcc;

/// <summary>
/// The granted leases of a store (etcd's lessor.leaseMap without expiry times): each lease's id, granted TTL and the
/// keys attached to it (live keys whose latest version carries the lease). Replicated state: grants and revocations
/// come from the log's lease effects, attachments follow the key writes, and a checkpoint keeps ids and TTLs (the
/// attachments are rebuilt from the keys on load, as etcd reattaches keys when it recovers its lessor).
/// Not thread-safe: one owner at a time, like its <see cref="MvccStore"/>.
/// </summary>
public sealed class LeaseTable : ILeaseLookup
{
    private readonly Dictionary<long, GrantedLease> _leases = [];

    /// <summary>Number of granted leases.</summary>
    public int Count => _leases.Count;

    /// <summary>Every granted lease, in id order.</summary>
    public IEnumerable<GrantedLease> All => _leases.Values.OrderBy(l => l.Id);

    public bool Exists(long leaseId) => _leases.ContainsKey(leaseId);

    /// <summary>The lease <paramref name="leaseId"/>, or null when it is not granted.</summary>
    public GrantedLease? Find(long leaseId) => _leases.GetValueOrDefault(leaseId);

    /// <summary>Grants a lease; false (and no change) when the id is already granted.</summary>
    internal bool Grant(long leaseId, long ttl)
    {
        ArgumentOutOfRangeException.ThrowIfZero(leaseId);
        return _leases.TryAdd(leaseId, new GrantedLease(leaseId, ttl));
    }

    /// <summary>Forgets a lease and its attachments; false when it was not granted.</summary>
    internal bool Revoke(long leaseId) => _leases.Remove(leaseId);

    /// <summary>Attaches <paramref name="key"/> to a granted lease (no-op for lease 0 or an unknown lease).</summary>
    internal void Attach(long leaseId, byte[] key)
    {
        if (leaseId != 0 && _leases.TryGetValue(leaseId, out var lease))
        {
            lease.KeySet.Add(key);
        }
    }

    /// <summary>Detaches <paramref name="key"/> from a lease (no-op for lease 0 or an unknown lease).</summary>
    internal void Detach(long leaseId, byte[] key)
    {
        if (leaseId != 0 && _leases.TryGetValue(leaseId, out var lease))
        {
            lease.KeySet.Remove(key);
        }
    }

    internal void Clear() => _leases.Clear();

    /// <summary>A deep copy (keys are immutable and shared).</summary>
    internal LeaseTable Clone()
    {
        var copy = new LeaseTable();
        foreach (var (id, lease) in _leases)
        {
            var cloned = new GrantedLease(id, lease.Ttl);
            cloned.KeySet.UnionWith(lease.KeySet);
            copy._leases.Add(id, cloned);
        }

        return copy;
    }
}

/// <summary>One granted lease: its id, its TTL in seconds as granted (after raising to the minimum), and its keys.</summary>
public sealed class GrantedLease
{
    internal GrantedLease(long id, long ttl)
    {
        Id = id;
        Ttl = ttl;
    }

    public long Id { get; }

    public long Ttl { get; }

    /// <summary>The attached keys, in key order (the order in which a revoke deletes them).</summary>
    public IReadOnlyCollection<byte[]> Keys => KeySet;

    internal SortedSet<byte[]> KeySet { get; } = new(KeyBytes.Comparer);
}
