namespace EtcdOrleans.Contracts;

/// <summary>The operations of etcd's API that go through the leader's sequencer (KV, and lease grant/revoke).</summary>
[GenerateSerializer, Alias("etcd.kv-operation")]
public enum KvOperation : byte
{
    Range = 0,
    Put = 1,
    DeleteRange = 2,
    Txn = 3,
    Compact = 4,

    /// <summary>etcdserverpb.LeaseGrantRequest; answered with a LeaseGrantResponse.</summary>
    LeaseGrant = 5,

    /// <summary>etcdserverpb.LeaseRevokeRequest; answered with a LeaseRevokeResponse.</summary>
    LeaseRevoke = 6,
}

/// <summary>
/// One validated client request on its way to the cluster: the operation and the request's protobuf encoding
/// (etcdserverpb.RangeRequest, PutRequest, ...). Bytes keep the grain contract free of protobuf and cost one copy.
/// </summary>
[GenerateSerializer, Immutable, Alias("etcd.kv-command")]
public sealed record KvCommand(
    [property: Id(0)] KvOperation Operation,
    [property: Id(1)] byte[] Request);

/// <summary>
/// The outcome of one <see cref="KvCommand"/>: the protobuf-encoded response (header filled) and the revision it
/// reflects, or an error. A response larger than <see cref="ReplyBuffer.ChunkBytes"/> is not inline but in
/// <see cref="Buffered"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("etcd.kv-outcome")]
public sealed record KvOutcome(
    [property: Id(0)] KvError Error,
    [property: Id(1)] byte[]? Response,
    [property: Id(2)] long Revision = 0,
    [property: Id(3)] BufferedReply? Buffered = null)
{
    /// <summary>A successful outcome whose answer reflects the store at <paramref name="revision"/>.</summary>
    public static KvOutcome Ok(byte[] response, long revision) => new(KvError.None, response, revision);

    /// <summary>A failed outcome.</summary>
    public static KvOutcome Failed(KvError error) => new(error, null);
}

/// <summary>Errors the cluster reports for a request; the gateway maps each to etcd's wire error.</summary>
[GenerateSerializer, Alias("etcd.kv-error")]
public enum KvError : byte
{
    None = 0,

    /// <summary>mvcc: required revision has been compacted.</summary>
    Compacted = 1,

    /// <summary>mvcc: required revision is a future revision.</summary>
    FutureRevision = 2,

    /// <summary>etcdserver: key not found (put with ignore_value or ignore_lease on a missing key).</summary>
    KeyNotFound = 3,

    /// <summary>etcdserver: requested lease not found.</summary>
    LeaseNotFound = 4,

    /// <summary>The replica asked is not the leader; ask <see cref="ProposeReply.LeaderHint"/>.</summary>
    NotLeader = 5,

    /// <summary>etcdserver: no leader.</summary>
    NoLeader = 6,

    /// <summary>etcdserver: leader changed (the proposal was dropped by a new leader).</summary>
    LeaderChanged = 7,

    /// <summary>etcdserver: request timed out.</summary>
    Timeout = 8,

    /// <summary>etcdserver: too many requests (the applied index lags the committed index too far).</summary>
    TooManyRequests = 9,

    /// <summary>etcdserver: server stopped.</summary>
    Stopped = 10,

    /// <summary>etcdserver: lease already exists.</summary>
    LeaseExists = 11,

    /// <summary>etcdserver: too large lease TTL.</summary>
    LeaseTtlTooLarge = 12,
}
