using EtcdOrleans.Contracts;
using EtcdOrleans.Mvcc;

namespace EtcdOrleans.Grains.Kv;

/// <summary>Maps the MVCC core's errors onto the grain contract's.</summary>
internal static class KvErrors
{
    public static KvError From(MvccError error) => error switch
    {
        MvccError.None => KvError.None,
        MvccError.Compacted => KvError.Compacted,
        MvccError.FutureRevision => KvError.FutureRevision,
        MvccError.KeyNotFound => KvError.KeyNotFound,
        MvccError.LeaseNotFound => KvError.LeaseNotFound,
        MvccError.LeaseExists => KvError.LeaseExists,
        MvccError.LeaseTtlTooLarge => KvError.LeaseTtlTooLarge,
        _ => throw new ArgumentOutOfRangeException(nameof(error), error, null),
    };
}
