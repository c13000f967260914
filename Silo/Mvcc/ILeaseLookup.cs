namespace EtcdOrleans.Mvcc;

/// <summary>Whether a lease exists (etcd's lessor.Lookup(id) != nil). <see cref="LeaseTable"/> implements it.</summary>
public interface ILeaseLookup
{
    bool Exists(long leaseId);
}
