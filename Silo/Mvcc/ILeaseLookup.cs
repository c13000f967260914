namespace EtcdOrleans.Mvcc;

/// <summary>Tells the <see cref="Sequencer"/> whether a lease exists (etcd's lessor.Lookup(id) != nil).</summary>
public interface ILeaseLookup
{
    bool Exists(long leaseId);
}

/// <summary>
/// The set of granted leases as the sequencer sees it (speculative, like its store): the lessor feeds it with
/// grants and revocations in log order. Not thread-safe.
/// </summary>
public sealed class GrantedLeases : ILeaseLookup
{
    private readonly HashSet<long> _leases = [];

    public int Count => _leases.Count;

    public bool Exists(long leaseId) => _leases.Contains(leaseId);

    public void Grant(long leaseId) => _leases.Add(leaseId);

    public void Revoke(long leaseId) => _leases.Remove(leaseId);

    public void Clear() => _leases.Clear();
}
