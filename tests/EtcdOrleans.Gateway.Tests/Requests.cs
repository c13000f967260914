using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;

namespace EtcdOrleans.Gateway.Tests;

/// <summary>Small builders for KV requests in the validator tests.</summary>
internal static class Requests
{
    public static ByteString B(string text) => ByteString.CopyFromUtf8(text);

    public static RequestOp Put(string key, string value = "v") => new() { RequestPut = new PutRequest { Key = B(key), Value = B(value) } };

    public static RequestOp Get(string key) => new() { RequestRange = new RangeRequest { Key = B(key) } };

    public static RequestOp Delete(string key) => new() { RequestDeleteRange = new DeleteRangeRequest { Key = B(key) } };

    public static RequestOp DeleteRange(string key, string end) =>
        new() { RequestDeleteRange = new DeleteRangeRequest { Key = B(key), RangeEnd = end == "\0" ? ByteString.CopyFrom(0) : B(end) } };

    public static RequestOp Nested(TxnRequest txn) => new() { RequestTxn = txn };

    public static Compare Cmp(string key) => new() { Key = B(key), Target = Compare.Types.CompareTarget.Version, Version = 0 };

    public static TxnRequest Txn(IEnumerable<RequestOp> success, IEnumerable<RequestOp>? failure = null, IEnumerable<Compare>? compares = null)
    {
        var txn = new TxnRequest();
        txn.Compare.AddRange(compares ?? []);
        txn.Success.AddRange(success);
        txn.Failure.AddRange(failure ?? []);
        return txn;
    }

    public static IEnumerable<RequestOp> Gets(int count) => Enumerable.Range(0, count).Select(i => Get($"k{i}"));

    public static IEnumerable<Compare> Cmps(int count) => Enumerable.Range(0, count).Select(i => Cmp($"k{i}"));
}
