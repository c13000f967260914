namespace EtcdOrleans.Mvcc;

/// <summary>
/// The leader's lease clock (the expiry half of etcd's lessor; the lease table itself is replicated state in
/// <see cref="LeaseTable"/>). Only the primary (the leader, once it has applied its first entry of the term) keeps
/// expiry times; elsewhere leases never expire. Pure: every call takes "now" as a monotonic time, so tests drive it.
/// Not thread-safe.
/// </summary>
public sealed class LeaseExpiry
{
    /// <summary>etcd's expiredLeaseRetryInterval: how long an expired lease waits before it is reported again.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(3);

    private readonly Dictionary<long, Tracked> _leases = [];

    // (lease, when to look at it next); stale entries are skipped by comparing with Tracked.CheckAt.
    private readonly PriorityQueue<long, TimeSpan> _checks = new();

    /// <summary>True between <see cref="Promote"/> and <see cref="Demote"/>.</summary>
    public bool IsPrimary { get; private set; }

    /// <summary>Number of leases with an expiry time.</summary>
    public int Count => _leases.Count;

    /// <summary>
    /// etcd's Promote: becomes primary and gives every lease of <paramref name="leases"/> a fresh expiry of its full TTL
    /// plus <paramref name="extend"/> (the election timeout), so that a leader change does not expire leases whose
    /// holders were renewing them with the old leader.
    /// </summary>
    public void Promote(IEnumerable<GrantedLease> leases, TimeSpan now, TimeSpan extend)
    {
        Clear();
        IsPrimary = true;
        foreach (var lease in leases)
        {
            Track(lease.Id, now + extend + TimeSpan.FromSeconds(lease.Ttl));
        }
    }

    /// <summary>etcd's Demote: no longer primary; leases no longer expire here.</summary>
    public void Demote()
    {
        IsPrimary = false;
        Clear();
    }

    /// <summary>A lease was granted (applied): when primary, it expires <paramref name="ttl"/> seconds from now.</summary>
    public void Granted(long leaseId, long ttl, TimeSpan now)
    {
        if (IsPrimary)
        {
            Track(leaseId, now + TimeSpan.FromSeconds(ttl));
        }
    }

    /// <summary>A lease was revoked (applied).</summary>
    public void Revoked(long leaseId) => _leases.Remove(leaseId);

    /// <summary>True when the lease is tracked and its expiry time has passed.</summary>
    public bool IsExpired(long leaseId, TimeSpan now) => _leases.TryGetValue(leaseId, out var lease) && lease.ExpiresAt <= now;

    /// <summary>
    /// etcd's Renew of a live lease: it expires <paramref name="ttl"/> seconds from now. False when the lease is not
    /// tracked or has already expired (an expired lease is about to be revoked; renewing it would resurrect it).
    /// </summary>
    public bool TryRenew(long leaseId, long ttl, TimeSpan now)
    {
        if (!_leases.TryGetValue(leaseId, out var lease) || lease.ExpiresAt <= now)
        {
            return false;
        }

        Track(leaseId, now + TimeSpan.FromSeconds(ttl));
        return true;
    }

    /// <summary>Time left until the lease expires (negative once expired); <see cref="TimeSpan.MaxValue"/> when not tracked (never expires).</summary>
    public TimeSpan Remaining(long leaseId, TimeSpan now) =>
        _leases.TryGetValue(leaseId, out var lease) ? lease.ExpiresAt - now : TimeSpan.MaxValue;

    /// <summary>
    /// etcd's findExpiredLeases: up to <paramref name="limit"/> leases whose expiry has passed, earliest first. Each one
    /// reported is not reported again for <see cref="RetryInterval"/>, while its revocation goes through the log.
    /// </summary>
    public IReadOnlyList<long> TakeExpired(TimeSpan now, int limit)
    {
        var expired = new List<long>();
        while (expired.Count < limit && _checks.TryPeek(out var id, out var checkAt) && checkAt <= now)
        {
            _checks.Dequeue();
            if (!_leases.TryGetValue(id, out var lease) || lease.CheckAt != checkAt)
            {
                continue;
            }

            if (lease.ExpiresAt <= now)
            {
                expired.Add(id);
                var retryAt = now + RetryInterval;
                _leases[id] = lease with { CheckAt = retryAt };
                _checks.Enqueue(id, retryAt);
            }
        }

        return expired;
    }

    private void Track(long leaseId, TimeSpan expiresAt)
    {
        _leases[leaseId] = new Tracked(expiresAt, expiresAt);
        _checks.Enqueue(leaseId, expiresAt);
    }

    private void Clear()
    {
        _leases.Clear();
        _checks.Clear();
    }

    private readonly record struct Tracked(TimeSpan ExpiresAt, TimeSpan CheckAt);
}
