namespace EtcdOrleans.Mvcc;

/// <summary>
/// A KV response. <see cref="Revision"/> is the revision etcd's applier puts in the response header;
/// the gateway fills the rest of the header (cluster id, member id, raft term).
/// </summary>
public abstract class MvccResponse
{
    public long Revision { get; init; }
}

/// <summary>etcd's RangeResponse. <see cref="Count"/> is the number of keys in the range at the read revision, before filters and limit.</summary>
public sealed class RangeResponse : MvccResponse
{
    public IReadOnlyList<KeyValue> Kvs { get; init; } = [];

    public bool More { get; init; }

    public long Count { get; init; }
}

/// <summary>etcd's PutResponse.</summary>
public sealed class PutResponse : MvccResponse
{
    public KeyValue? PrevKv { get; init; }
}

/// <summary>etcd's DeleteRangeResponse.</summary>
public sealed class DeleteRangeResponse : MvccResponse
{
    public long Deleted { get; init; }

    public IReadOnlyList<KeyValue> PrevKvs { get; init; } = [];
}

/// <summary>etcd's TxnResponse; one response per op of the executed branch, in order.</summary>
public sealed class TxnResponse : MvccResponse
{
    public bool Succeeded { get; init; }

    public IReadOnlyList<MvccResponse> Responses { get; init; } = [];
}

/// <summary>etcd's CompactionResponse.</summary>
public sealed class CompactionResponse : MvccResponse
{
}

/// <summary>etcd's LeaseGrantResponse: the lease's id and granted TTL (after raising it to the minimum).</summary>
public sealed class LeaseGrantResponse : MvccResponse
{
    public long Id { get; init; }

    public long Ttl { get; init; }
}

/// <summary>etcd's LeaseRevokeResponse.</summary>
public sealed class LeaseRevokeResponse : MvccResponse
{
}
