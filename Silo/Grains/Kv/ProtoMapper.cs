using Google.Protobuf;
using EtcdOrleans.Mvcc;
using Rpc = EtcdOrleans.Protos.Etcdserverpb;
using PbKv = EtcdOrleans.Protos.Mvccpb;

namespace EtcdOrleans.Grains.Kv;

/// <summary>
/// Translates etcd's protobuf requests into the MVCC core's request model and its responses back. The only place
/// where the two meet; enum values are equal by construction (checked by tests).
/// </summary>
internal static class ProtoMapper
{
    public static RangeRequest ToMvcc(Rpc.RangeRequest request) => new(request.Key.ToByteArray(), NullIfEmpty(request.RangeEnd))
    {
        Limit = request.Limit,
        Revision = request.Revision,
        SortOrder = (SortOrder)request.SortOrder,
        SortTarget = (SortTarget)request.SortTarget,
        Serializable = request.Serializable,
        KeysOnly = request.KeysOnly,
        CountOnly = request.CountOnly,
        MinModRevision = request.MinModRevision,
        MaxModRevision = request.MaxModRevision,
        MinCreateRevision = request.MinCreateRevision,
        MaxCreateRevision = request.MaxCreateRevision,
    };

    public static PutRequest ToMvcc(Rpc.PutRequest request) => new(request.Key.ToByteArray(), request.Value.ToByteArray())
    {
        Lease = request.Lease,
        PrevKv = request.PrevKv,
        IgnoreValue = request.IgnoreValue,
        IgnoreLease = request.IgnoreLease,
    };

    public static DeleteRangeRequest ToMvcc(Rpc.DeleteRangeRequest request) =>
        new(request.Key.ToByteArray(), NullIfEmpty(request.RangeEnd)) { PrevKv = request.PrevKv };

    public static CompactionRequest ToMvcc(Rpc.CompactionRequest request) => new(request.Revision) { Physical = request.Physical };

    public static LeaseGrantRequest ToMvcc(Rpc.LeaseGrantRequest request) => new(request.ID, request.TTL);

    public static LeaseRevokeRequest ToMvcc(Rpc.LeaseRevokeRequest request) => new(request.ID);

    public static TxnRequest ToMvcc(Rpc.TxnRequest request) => new(
        request.Compare.Select(ToMvcc).ToArray(),
        request.Success.Select(ToMvcc).ToArray(),
        request.Failure.Select(ToMvcc).ToArray());

    private static Compare ToMvcc(Rpc.Compare compare) => new((CompareResult)compare.Result, (CompareTarget)compare.Target, compare.Key.ToByteArray())
    {
        RangeEnd = NullIfEmpty(compare.RangeEnd),
        Number = compare.TargetUnionCase switch
        {
            Rpc.Compare.TargetUnionOneofCase.Version => compare.Version,
            Rpc.Compare.TargetUnionOneofCase.CreateRevision => compare.CreateRevision,
            Rpc.Compare.TargetUnionOneofCase.ModRevision => compare.ModRevision,
            Rpc.Compare.TargetUnionOneofCase.Lease => compare.Lease,
            _ => 0,
        },
        Value = compare.TargetUnionCase == Rpc.Compare.TargetUnionOneofCase.Value ? compare.Value.ToByteArray() : null,
    };

    private static MvccRequest ToMvcc(Rpc.RequestOp op) => op.RequestCase switch
    {
        Rpc.RequestOp.RequestOneofCase.RequestRange => ToMvcc(op.RequestRange),
        Rpc.RequestOp.RequestOneofCase.RequestPut => ToMvcc(op.RequestPut),
        Rpc.RequestOp.RequestOneofCase.RequestDeleteRange => ToMvcc(op.RequestDeleteRange),
        Rpc.RequestOp.RequestOneofCase.RequestTxn => ToMvcc(op.RequestTxn),
        _ => throw new ArgumentException("empty request op: the gateway rejects these before they reach the cluster"),
    };

    public static Rpc.RangeResponse ToProto(RangeResponse response)
    {
        var proto = new Rpc.RangeResponse { Header = Header(response), More = response.More, Count = response.Count };
        foreach (var kv in response.Kvs)
        {
            proto.Kvs.Add(ToProto(kv));
        }

        return proto;
    }

    public static Rpc.PutResponse ToProto(PutResponse response) => new()
    {
        Header = Header(response),
        PrevKv = response.PrevKv is null ? null : ToProto(response.PrevKv),
    };

    public static Rpc.DeleteRangeResponse ToProto(DeleteRangeResponse response)
    {
        var proto = new Rpc.DeleteRangeResponse { Header = Header(response), Deleted = response.Deleted };
        foreach (var kv in response.PrevKvs)
        {
            proto.PrevKvs.Add(ToProto(kv));
        }

        return proto;
    }

    public static Rpc.TxnResponse ToProto(TxnResponse response)
    {
        var proto = new Rpc.TxnResponse { Header = Header(response), Succeeded = response.Succeeded };
        foreach (var inner in response.Responses)
        {
            proto.Responses.Add(ToResponseOp(inner));
        }

        return proto;
    }

    public static Rpc.CompactionResponse ToProto(CompactionResponse response) => new() { Header = Header(response) };

    /// <summary>Encodes any MVCC response as the protobuf message of its kind, its header stamped by <paramref name="stamp"/>.</summary>
    public static byte[] Encode(MvccResponse response, HeaderStamp stamp) => response switch
    {
        RangeResponse r => Stamped(ToProto(r), p => p.Header, stamp),
        PutResponse r => Stamped(ToProto(r), p => p.Header, stamp),
        DeleteRangeResponse r => Stamped(ToProto(r), p => p.Header, stamp),
        TxnResponse r => Stamped(ToProto(r), p => p.Header, stamp),
        CompactionResponse r => Stamped(ToProto(r), p => p.Header, stamp),
        LeaseGrantResponse r => Stamped(new Rpc.LeaseGrantResponse { Header = Header(r), ID = r.Id, TTL = r.Ttl }, p => p.Header, stamp),
        LeaseRevokeResponse r => Stamped(new Rpc.LeaseRevokeResponse { Header = Header(r) }, p => p.Header, stamp),
        _ => throw new ArgumentOutOfRangeException(nameof(response), response.GetType().Name, null),
    };

    private static byte[] Stamped<T>(T proto, Func<T, Rpc.ResponseHeader> header, HeaderStamp stamp)
        where T : IMessage
    {
        stamp.ApplyTo(header(proto));
        return proto.ToByteArray();
    }

    private static Rpc.ResponseOp ToResponseOp(MvccResponse response) => response switch
    {
        RangeResponse r => new Rpc.ResponseOp { ResponseRange = ToProto(r) },
        PutResponse r => new Rpc.ResponseOp { ResponsePut = ToProto(r) },
        DeleteRangeResponse r => new Rpc.ResponseOp { ResponseDeleteRange = ToProto(r) },
        TxnResponse r => new Rpc.ResponseOp { ResponseTxn = NestedTxn(r) },
        _ => throw new ArgumentOutOfRangeException(nameof(response), response.GetType().Name, null),
    };

    /// <summary>A txn inside a txn: etcd 3.4 sends its header present but empty (its ops' headers keep their revision).</summary>
    private static Rpc.TxnResponse NestedTxn(TxnResponse response)
    {
        var proto = ToProto(response);
        proto.Header = new Rpc.ResponseHeader();
        return proto;
    }

    public static PbKv.KeyValue ToProto(KeyValue kv) => new()
    {
        Key = UnsafeByteOperations.UnsafeWrap(kv.Key),
        Value = UnsafeByteOperations.UnsafeWrap(kv.Value),
        CreateRevision = kv.CreateRevision,
        ModRevision = kv.ModRevision,
        Version = kv.Version,
        Lease = kv.Lease,
    };

    /// <summary>etcd's mvccpb.Event, with its previous key-value when it has one.</summary>
    public static PbKv.Event ToProto(WatchEvent watchEvent) => new()
    {
        Type = watchEvent.Type == WatchEventType.Delete ? PbKv.Event.Types.EventType.Delete : PbKv.Event.Types.EventType.Put,
        Kv = ToProto(watchEvent.Kv),
        PrevKv = watchEvent.PrevKv is null ? null : ToProto(watchEvent.PrevKv),
    };

    private static Rpc.ResponseHeader Header(MvccResponse response) => new() { Revision = response.Revision };

    private static byte[]? NullIfEmpty(ByteString bytes) => bytes.IsEmpty ? null : bytes.ToByteArray();
}
