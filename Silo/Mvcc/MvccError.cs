using System.Diagnostics.CodeAnalysis;

namespace EtcdOrleans.Mvcc;

/// <summary>Errors of the MVCC layer. The gateway maps each to etcd's wire error (rpctypes).</summary>
public enum MvccError
{
    None = 0,

    /// <summary>mvcc.ErrCompacted; wire: OutOfRange "etcdserver: mvcc: required revision has been compacted".</summary>
    Compacted = 1,

    /// <summary>mvcc.ErrFutureRev; wire: OutOfRange "etcdserver: mvcc: required revision is a future revision".</summary>
    FutureRevision = 2,

    /// <summary>etcdserver.ErrKeyNotFound (put with ignore_value/ignore_lease on a missing key); wire: InvalidArgument "etcdserver: key not found".</summary>
    KeyNotFound = 3,

    /// <summary>lease.ErrLeaseNotFound; wire: NotFound "etcdserver: requested lease not found".</summary>
    LeaseNotFound = 4,

    /// <summary>lease.ErrLeaseExists; wire: FailedPrecondition "etcdserver: lease already exists".</summary>
    LeaseExists = 5,

    /// <summary>lease.ErrLeaseTTLTooLarge; wire: OutOfRange "etcdserver: too large lease TTL".</summary>
    LeaseTtlTooLarge = 6,
}

/// <summary>Texts of the errors, byte-identical to etcd's.</summary>
public static class MvccErrors
{
    /// <summary>The inner error text (mvcc/etcdserver/lease packages).</summary>
    public static string Message(MvccError error) => error switch
    {
        MvccError.None => "",
        MvccError.Compacted => "mvcc: required revision has been compacted",
        MvccError.FutureRevision => "mvcc: required revision is a future revision",
        MvccError.KeyNotFound => "etcdserver: key not found",
        MvccError.LeaseNotFound => "lease not found",
        MvccError.LeaseExists => "lease already exists",
        MvccError.LeaseTtlTooLarge => "too large lease TTL",
        _ => throw new ArgumentOutOfRangeException(nameof(error), error, null),
    };

    /// <summary>The text of the gRPC status etcd sends for the error (rpctypes).</summary>
    public static string WireMessage(MvccError error) => error switch
    {
        MvccError.None => "",
        MvccError.Compacted => "etcdserver: mvcc: required revision has been compacted",
        MvccError.FutureRevision => "etcdserver: mvcc: required revision is a future revision",
        MvccError.KeyNotFound => "etcdserver: key not found",
        MvccError.LeaseNotFound => "etcdserver: requested lease not found",
        MvccError.LeaseExists => "etcdserver: lease already exists",
        MvccError.LeaseTtlTooLarge => "etcdserver: too large lease TTL",
        _ => throw new ArgumentOutOfRangeException(nameof(error), error, null),
    };

    [DoesNotReturn]
    internal static void Throw(MvccError error) => throw new MvccException(error);
}

/// <summary>An MVCC error raised by a store operation.</summary>
public sealed class MvccException : Exception
{
    public MvccException(MvccError error)
        : base(MvccErrors.Message(error))
    {
        Error = error;
    }

    public MvccError Error { get; }
}

/// <summary>An effect was applied out of order (a revision gap): a bug in the caller, not a client error.</summary>
public sealed class EffectOrderException : InvalidOperationException
{
    public EffectOrderException(string message)
        : base(message)
    {
    }
}
