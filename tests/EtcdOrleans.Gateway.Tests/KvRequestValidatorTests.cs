using EtcdOrleans.Gateway.Errors;
using EtcdOrleans.Gateway.Kv;
using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using static EtcdOrleans.Gateway.Tests.Requests;

namespace EtcdOrleans.Gateway.Tests;

/// <summary>
/// The gateway's checks of KV requests against etcd 3.4's v3rpc/key.go: which requests fail, with which wire
/// error (status code and text), and in which order the checks run.
/// </summary>
public sealed class KvRequestValidatorTests
{
    private const int MaxTxnOps = 128;
    private const string EmptyKey = "etcdserver: key is not provided";
    private const string TooManyOps = "etcdserver: too many operations in txn request";
    private const string DuplicateKey = "etcdserver: duplicate key given in txn request";

    [Fact]
    public void RangeNeedsAKeyAndNothingElse()
    {
        AssertWire(StatusCode.InvalidArgument, EmptyKey, KvRequestValidator.CheckRange(new RangeRequest()));
        AssertWire(StatusCode.InvalidArgument, EmptyKey, KvRequestValidator.CheckRange(new RangeRequest { RangeEnd = ByteString.CopyFrom(0) }));

        Assert.Equal(EtcdErrorCode.None, KvRequestValidator.CheckRange(new RangeRequest { Key = ByteString.CopyFrom(0), RangeEnd = ByteString.CopyFrom(0) }));
        Assert.Equal(EtcdErrorCode.None, KvRequestValidator.CheckRange(new RangeRequest
        {
            Key = B("a"), RangeEnd = B("\u0001"), Limit = -1, Revision = -5, MinModRevision = 9, MaxCreateRevision = -2,
            SortOrder = RangeRequest.Types.SortOrder.Descend, SortTarget = RangeRequest.Types.SortTarget.Value, KeysOnly = true, CountOnly = true,
        }));
    }

    /// <summary>etcd 3.4 has no such check (an unknown target crashes its applier); the gateway rejects like etcd 3.5, after the key check.</summary>
    [Fact]
    public void AnUnknownSortOptionIsRejectedAfterTheKeyCheck()
    {
        var unknownOrder = new RangeRequest { Key = B("a"), SortOrder = (RangeRequest.Types.SortOrder)3 };
        var unknownTarget = new RangeRequest { Key = B("a"), SortTarget = (RangeRequest.Types.SortTarget)5 };

        AssertWire(StatusCode.InvalidArgument, "etcdserver: invalid sort option", KvRequestValidator.CheckRange(unknownOrder));
        AssertWire(StatusCode.InvalidArgument, "etcdserver: invalid sort option", KvRequestValidator.CheckRange(unknownTarget));
        AssertWire(StatusCode.InvalidArgument, EmptyKey, KvRequestValidator.CheckRange(new RangeRequest { SortTarget = (RangeRequest.Types.SortTarget)5 }));
    }

    [Fact]
    public void PutChecksKeyThenIgnoreValueThenIgnoreLease()
    {
        AssertWire(StatusCode.InvalidArgument, EmptyKey, KvRequestValidator.CheckPut(new PutRequest { Value = B("v"), IgnoreValue = true, Lease = 1, IgnoreLease = true }));
        AssertWire(StatusCode.InvalidArgument, "etcdserver: value is provided", KvRequestValidator.CheckPut(new PutRequest { Key = B("k"), Value = B("v"), IgnoreValue = true, Lease = 1, IgnoreLease = true }));
        AssertWire(StatusCode.InvalidArgument, "etcdserver: lease is provided", KvRequestValidator.CheckPut(new PutRequest { Key = B("k"), Lease = -1, IgnoreLease = true }));

        Assert.Equal(EtcdErrorCode.None, KvRequestValidator.CheckPut(new PutRequest { Key = B("k") }));
        Assert.Equal(EtcdErrorCode.None, KvRequestValidator.CheckPut(new PutRequest { Key = B("k"), IgnoreValue = true, IgnoreLease = true, PrevKv = true }));
        Assert.Equal(EtcdErrorCode.None, KvRequestValidator.CheckPut(new PutRequest { Key = B("k"), Value = B("v"), IgnoreLease = true }));
        Assert.Equal(EtcdErrorCode.None, KvRequestValidator.CheckPut(new PutRequest { Key = B("k"), Lease = 42, IgnoreValue = true }));
    }

    [Fact]
    public void DeleteRangeNeedsAKey()
    {
        AssertWire(StatusCode.InvalidArgument, EmptyKey, KvRequestValidator.CheckDeleteRange(new DeleteRangeRequest { RangeEnd = ByteString.CopyFrom(0), PrevKv = true }));

        Assert.Equal(EtcdErrorCode.None, KvRequestValidator.CheckDeleteRange(new DeleteRangeRequest { Key = B("k"), RangeEnd = B("a") }));
    }

    [Fact]
    public void EachListOfATxnMayHave128Ops()
    {
        Assert.Equal(EtcdErrorCode.None, KvRequestValidator.CheckTxn(Txn(Gets(MaxTxnOps), Gets(MaxTxnOps), Cmps(MaxTxnOps)), MaxTxnOps));
        Assert.Equal(EtcdErrorCode.None, KvRequestValidator.CheckTxn(new TxnRequest(), MaxTxnOps));

        AssertWire(StatusCode.InvalidArgument, TooManyOps, KvRequestValidator.CheckTxn(Txn([], compares: Cmps(MaxTxnOps + 1)), MaxTxnOps));
        AssertWire(StatusCode.InvalidArgument, TooManyOps, KvRequestValidator.CheckTxn(Txn(Gets(MaxTxnOps + 1)), MaxTxnOps));
        AssertWire(StatusCode.InvalidArgument, TooManyOps, KvRequestValidator.CheckTxn(Txn([], Gets(MaxTxnOps + 1)), MaxTxnOps));
        AssertWire(StatusCode.InvalidArgument, TooManyOps, KvRequestValidator.CheckTxn(Txn(Gets(3), compares: Cmps(3)), maxTxnOps: 2));
    }

    [Fact]
    public void ANestedTxnGetsWhatItsParentsLargestListLeaves()
    {
        TxnRequest Parent(int parentOps, int nestedOps) => Txn(Gets(parentOps - 1).Append(Nested(Txn(Gets(nestedOps)))));

        Assert.Equal(EtcdErrorCode.None, KvRequestValidator.CheckTxn(Parent(28, 100), MaxTxnOps));
        AssertWire(StatusCode.InvalidArgument, TooManyOps, KvRequestValidator.CheckTxn(Parent(28, 101), MaxTxnOps));

        // The budget is the parent's largest list, whichever it is, and it shrinks at each level.
        var byCompares = Txn([Nested(Txn(Gets(101)))], compares: Cmps(28));
        AssertWire(StatusCode.InvalidArgument, TooManyOps, KvRequestValidator.CheckTxn(byCompares, MaxTxnOps));
        var deep = Txn(Gets(9).Append(Nested(Txn(Gets(9).Append(Nested(Txn(Gets(109))))))));
        AssertWire(StatusCode.InvalidArgument, TooManyOps, KvRequestValidator.CheckTxn(deep, MaxTxnOps));
        var deepFits = Txn(Gets(9).Append(Nested(Txn(Gets(9).Append(Nested(Txn(Gets(108))))))));
        Assert.Equal(EtcdErrorCode.None, KvRequestValidator.CheckTxn(deepFits, MaxTxnOps));
    }

    [Fact]
    public void TxnChecksComparesThenSuccessThenFailureFirstErrorWins()
    {
        var emptyKeyCompare = new Compare { Target = Compare.Types.CompareTarget.Value, Value = B("x") };
        var valueProvided = new RequestOp { RequestPut = new PutRequest { Key = B("k"), Value = B("v"), IgnoreValue = true } };
        var leaseProvided = new RequestOp { RequestPut = new PutRequest { Key = B("k"), Lease = 1, IgnoreLease = true } };

        AssertWire(StatusCode.InvalidArgument, EmptyKey, KvRequestValidator.CheckTxn(Txn([valueProvided], [leaseProvided], [emptyKeyCompare]), MaxTxnOps));
        AssertWire(StatusCode.InvalidArgument, "etcdserver: value is provided", KvRequestValidator.CheckTxn(Txn([valueProvided], [leaseProvided]), MaxTxnOps));
        AssertWire(StatusCode.InvalidArgument, "etcdserver: lease is provided", KvRequestValidator.CheckTxn(Txn([Get("k")], [leaseProvided]), MaxTxnOps));
        AssertWire(StatusCode.InvalidArgument, EmptyKey, KvRequestValidator.CheckTxn(Txn([Nested(Txn([], [new RequestOp { RequestDeleteRange = new() }]))]), MaxTxnOps));
        AssertWire(StatusCode.InvalidArgument, EmptyKey, KvRequestValidator.CheckTxn(Txn([new RequestOp { RequestRange = new() }]), MaxTxnOps));
    }

    [Fact]
    public void AnOpWithNoRequestIsKeyNotFound()
    {
        AssertWire(StatusCode.InvalidArgument, "etcdserver: key not found", KvRequestValidator.CheckTxn(Txn([Put("a"), new RequestOp()]), MaxTxnOps));
        AssertWire(StatusCode.InvalidArgument, "etcdserver: key not found", KvRequestValidator.CheckTxn(Txn([], [Nested(Txn([new RequestOp()]))]), MaxTxnOps));
    }

    [Fact]
    public void StructureIsCheckedBeforeDuplicatesAndSuccessDuplicatesBeforeFailureOnes()
    {
        var duplicate = new[] { Put("a"), Put("a") };

        AssertWire(StatusCode.InvalidArgument, TooManyOps, KvRequestValidator.CheckTxn(Txn(Enumerable.Repeat(Put("a"), MaxTxnOps + 1)), MaxTxnOps));
        AssertWire(StatusCode.InvalidArgument, EmptyKey, KvRequestValidator.CheckTxn(Txn(duplicate, [new RequestOp { RequestRange = new() }]), MaxTxnOps));
        AssertWire(StatusCode.InvalidArgument, DuplicateKey, KvRequestValidator.CheckTxn(Txn(duplicate), MaxTxnOps));
        AssertWire(StatusCode.InvalidArgument, DuplicateKey, KvRequestValidator.CheckTxn(Txn([], duplicate), MaxTxnOps));
    }

    public static TheoryData<string, TxnRequest, bool> DuplicateKeyCases => new()
    {
        { "one put per branch", Txn([Put("a")], [Put("a")]), true },
        { "two puts", Txn([Put("a"), Put("b"), Put("a")]), false },
        { "put then delete of it", Txn([Put("a"), Delete("a")]), false },
        { "delete then put", Txn([Delete("a"), Put("a")]), false },
        { "put inside a deleted range", Txn([DeleteRange("a", "c"), Put("b")]), false },
        { "put at a deleted range's start", Txn([DeleteRange("a", "c"), Put("a")]), false },
        { "put at a deleted range's end", Txn([DeleteRange("a", "c"), Put("c")]), true },
        { "put before a deleted range", Txn([DeleteRange("b", "c"), Put("a")]), true },
        { "put after a single deleted key", Txn([Delete("a"), Put("a\0")]), true },
        { "overlapping deletes", Txn([DeleteRange("a", "c"), DeleteRange("b", "d"), Delete("b")]), true },
        { "reads of written keys", Txn([Put("a"), Get("a"), Delete("b"), Get("b")]), true },
        { "from-key delete and a later put (\\0 taken literally)", Txn([DeleteRange("k", "\0"), Put("k2")]), true },
        { "inverted range and a put inside its bounds", Txn([DeleteRange("c", "a"), Put("b")]), true },
        { "outer put and nested put", Txn([Put("a"), Nested(Txn([Put("a")]))]), false },
        { "nested put and outer put", Txn([Nested(Txn([Put("a")])), Put("a")]), false },
        { "two nested puts", Txn([Nested(Txn([Put("a")])), Nested(Txn([Put("a")]))]), false },
        { "nested then and else of one txn", Txn([Nested(Txn([Put("a")], [Put("a")]))]), true },
        { "nested else and an earlier nested then", Txn([Nested(Txn([Put("a")])), Nested(Txn([], [Put("a")]))]), false },
        { "outer delete and nested put", Txn([Delete("a"), Nested(Txn([Put("a")]))]), false },
        { "nested delete and outer put", Txn([Nested(Txn([], [DeleteRange("a", "c")])), Put("b")]), false },
        { "nested delete and a later nested put", Txn([Nested(Txn([Delete("a")])), Nested(Txn([Put("a")]))]), false },
        { "nested put and a later nested delete", Txn([Nested(Txn([Put("a")])), Nested(Txn([Delete("a")]))]), true },
        { "duplicate deep inside", Txn([Nested(Txn([Nested(Txn([], [Put("x"), Put("x")]))]))]), false },
        { "nested put beside a delete of the nested txn's other branch", Txn([Nested(Txn([Put("a")], [Delete("a")]))]), true },
        { "nested put beside a delete of the same nested branch", Txn([Nested(Txn([Put("a"), Delete("a")]))]), false },
    };

    [Theory]
    [MemberData(nameof(DuplicateKeyCases))]
    public void DuplicateKeysFollowEtcdsIntervalCheck(string name, TxnRequest request, bool accepted)
    {
        var result = KvRequestValidator.CheckTxn(request, MaxTxnOps);

        Assert.True(accepted == (result == EtcdErrorCode.None), $"{name}: {result}");
        if (!accepted)
        {
            AssertWire(StatusCode.InvalidArgument, DuplicateKey, result);
        }
    }

    [Fact]
    public void ManyIntervalsAreCheckedCorrectly()
    {
        // 64 disjoint deleted ranges [k00a, k00c), [k01a, k01c), ...; puts in the gaps pass, puts inside fail.
        var deletes = Enumerable.Range(0, 64).Select(i => DeleteRange($"k{i:D2}a", $"k{i:D2}c")).ToArray();

        Assert.Equal(EtcdErrorCode.None, KvRequestValidator.CheckTxn(Txn(deletes.Concat(Enumerable.Range(0, 64).Select(i => Put($"k{i:D2}c")))), MaxTxnOps));
        for (var i = 0; i < 64; i += 7)
        {
            Assert.Equal(EtcdErrorCode.DuplicateKey, KvRequestValidator.CheckTxn(Txn(deletes.Append(Put($"k{i:D2}b"))), MaxTxnOps));
        }

        // A long range that covers later short ones: found even though a later interval ends earlier.
        var covering = new[] { DeleteRange("a", "z"), DeleteRange("b", "b1"), DeleteRange("c", "c1") };
        Assert.Equal(EtcdErrorCode.DuplicateKey, KvRequestValidator.CheckTxn(Txn(covering.Append(Put("d"))), MaxTxnOps));
    }

    [Fact]
    public void TheProposalSizeLimitCountsTheRequestAsEtcdProposesIt()
    {
        const int limit = 3 * 512 * 1024;
        var put = new PutRequest { Key = B("k"), Value = ByteString.CopyFrom(new byte[limit - 100]) };
        var overhead = KvRequestValidator.ProposalSize(put.CalculateSize()) - put.CalculateSize();

        // A one-byte field tag, a 3-byte length and etcd's request header (at most 14 bytes).
        Assert.Equal(1 + 3 + 14, overhead);
        Assert.Equal(EtcdErrorCode.None, KvRequestValidator.CheckProposalSize(put, limit));
        put.Value = ByteString.CopyFrom(new byte[put.Value.Length + (int)(limit - KvRequestValidator.ProposalSize(put.CalculateSize()))]);
        Assert.Equal(limit, KvRequestValidator.ProposalSize(put.CalculateSize()));
        Assert.Equal(EtcdErrorCode.None, KvRequestValidator.CheckProposalSize(put, limit));
        put.Value = ByteString.CopyFrom(new byte[put.Value.Length + 1]);
        AssertWire(StatusCode.InvalidArgument, "etcdserver: request is too large", KvRequestValidator.CheckProposalSize(put, limit));
        Assert.Equal(1 + 1 + 5 + 14 + 3, KvRequestValidator.ProposalSize(5, authHeaderBytes: 3));
    }

    [Fact]
    public void OnlyATxnOfRangesIsReadOnly()
    {
        Assert.True(KvRequestValidator.IsReadOnly(new TxnRequest()));
        Assert.True(KvRequestValidator.IsReadOnly(Txn([Get("a")], [Get("b")], [Cmp("a")])));
        Assert.False(KvRequestValidator.IsReadOnly(Txn([Get("a")], [Put("b")])));
        Assert.False(KvRequestValidator.IsReadOnly(Txn([Delete("a")])));
        Assert.False(KvRequestValidator.IsReadOnly(Txn([Nested(Txn([Get("a")]))])));
    }

    private static void AssertWire(StatusCode status, string message, EtcdErrorCode code)
    {
        Assert.NotEqual(EtcdErrorCode.None, code);
        var wire = EtcdErrors.ToStatus(code);
        Assert.Equal((status, message), (wire.StatusCode, wire.Detail));
    }
}
