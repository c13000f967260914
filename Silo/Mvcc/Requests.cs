namespace EtcdOrleans.Mvcc;

/// <summary>
/// A KV request as etcd's etcdserverpb messages carry it. Byte arrays are taken over without copies:
/// callers must not mutate them afterwards. Input validation (empty key, lease with ignore_lease, ...)
/// is the gateway's job, as in etcd's v3rpc layer.
/// </summary>
public abstract record MvccRequest;

/// <summary>etcd's RangeRequest.SortOrder (same numbers).</summary>
public enum SortOrder
{
    None = 0,
    Ascend = 1,
    Descend = 2,
}

/// <summary>etcd's RangeRequest.SortTarget (same numbers).</summary>
public enum SortTarget
{
    Key = 0,
    Version = 1,
    Create = 2,
    Mod = 3,
    Value = 4,
}

/// <summary>
/// etcd's RangeRequest. <see cref="RangeEnd"/> follows <see cref="KeyRange.FromEtcd"/>.
/// <see cref="Revision"/> &lt;= 0 reads the current revision.
/// </summary>
public sealed record RangeRequest(byte[] Key, byte[]? RangeEnd = null) : MvccRequest
{
    public long Limit { get; init; }

    public long Revision { get; init; }

    public SortOrder SortOrder { get; init; }

    public SortTarget SortTarget { get; init; }

    /// <summary>Not interpreted by the store; the grain layer decides where a serializable read goes.</summary>
    public bool Serializable { get; init; }

    public bool KeysOnly { get; init; }

    public bool CountOnly { get; init; }

    public long MinModRevision { get; init; }

    public long MaxModRevision { get; init; }

    public long MinCreateRevision { get; init; }

    public long MaxCreateRevision { get; init; }
}

/// <summary>etcd's PutRequest.</summary>
public sealed record PutRequest(byte[] Key, byte[] Value) : MvccRequest
{
    public long Lease { get; init; }

    public bool PrevKv { get; init; }

    public bool IgnoreValue { get; init; }

    public bool IgnoreLease { get; init; }
}

/// <summary>etcd's DeleteRangeRequest.</summary>
public sealed record DeleteRangeRequest(byte[] Key, byte[]? RangeEnd = null) : MvccRequest
{
    public bool PrevKv { get; init; }
}

/// <summary>
/// etcd's TxnRequest. Ops are <see cref="RangeRequest"/>, <see cref="PutRequest"/>,
/// <see cref="DeleteRangeRequest"/> or a nested <see cref="TxnRequest"/>.
/// </summary>
public sealed record TxnRequest(
    IReadOnlyList<Compare> Compares,
    IReadOnlyList<MvccRequest> Success,
    IReadOnlyList<MvccRequest> Failure) : MvccRequest;

/// <summary>etcd's CompactionRequest.</summary>
public sealed record CompactionRequest(long Revision) : MvccRequest
{
    public bool Physical { get; init; }
}

/// <summary>etcd's Compare.CompareResult (same numbers).</summary>
public enum CompareResult
{
    Equal = 0,
    Greater = 1,
    Less = 2,
    NotEqual = 3,
}

/// <summary>etcd's Compare.CompareTarget (same numbers).</summary>
public enum CompareTarget
{
    Version = 0,
    Create = 1,
    Mod = 2,
    Value = 3,
    Lease = 4,
}

/// <summary>
/// etcd's Compare. etcd's target_union maps to <see cref="Number"/> (version, create_revision,
/// mod_revision or lease) or <see cref="Value"/>. When the union holds a case other than the target,
/// etcd compares against 0 / empty: the gateway passes 0 / null then.
/// <see cref="RangeEnd"/> (etcd 3.3+) makes the compare hold for every key in the range.
/// </summary>
public sealed record Compare(CompareResult Result, CompareTarget Target, byte[] Key)
{
    public byte[]? RangeEnd { get; init; }

    public long Number { get; init; }

    public byte[]? Value { get; init; }
}

/// <summary>
/// etcd's LeaseGrantRequest. <see cref="Id"/> 0 lets the sequencer choose a new positive id; <see cref="Ttl"/> is in
/// seconds, raised to the minimum TTL.
/// </summary>
public sealed record LeaseGrantRequest(long Id, long Ttl) : MvccRequest;

/// <summary>etcd's LeaseRevokeRequest: revokes the lease and deletes its keys.</summary>
public sealed record LeaseRevokeRequest(long Id) : MvccRequest;
