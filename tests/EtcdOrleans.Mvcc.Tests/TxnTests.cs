using EtcdOrleans.Mvcc;
using static EtcdOrleans.Mvcc.Tests.TestHelpers;

namespace EtcdOrleans.Mvcc.Tests;

public sealed class TxnTests
{
    private static TxnRequest Txn(Compare[] compares, MvccRequest[] success, MvccRequest[]? failure = null)
        => new(compares, success, failure ?? []);

    private static Compare Cmp(string key, CompareTarget target, CompareResult result, long number = 0, string? value = null, string? end = null)
        => new(result, target, B(key)) { Number = number, Value = value is null ? null : B(value), RangeEnd = end is null ? null : B(end) };

    private static bool Succeeds(Sequencer s, Compare compare)
        => ((TxnResponse)s.Ok(Txn([compare], [])).Response!).Succeeded;

    [Theory]
    [InlineData(CompareTarget.Version, CompareResult.Equal, 2, true)]
    [InlineData(CompareTarget.Version, CompareResult.Greater, 1, true)]
    [InlineData(CompareTarget.Version, CompareResult.Less, 2, false)]
    [InlineData(CompareTarget.Version, CompareResult.NotEqual, 2, false)]
    [InlineData(CompareTarget.Create, CompareResult.Equal, 2, true)]
    [InlineData(CompareTarget.Create, CompareResult.Less, 3, true)]
    [InlineData(CompareTarget.Mod, CompareResult.Equal, 3, true)]
    [InlineData(CompareTarget.Mod, CompareResult.Greater, 3, false)]
    [InlineData(CompareTarget.Lease, CompareResult.Equal, 7, true)]
    [InlineData(CompareTarget.Lease, CompareResult.NotEqual, 0, true)]
    public void NumericCompareTargets(CompareTarget target, CompareResult result, long number, bool expected)
    {
        var s = NewSequencer(7);
        s.Put("k", "v1");
        s.Put("k", "v2", lease: 7);
        Assert.Equal(expected, Succeeds(s, Cmp("k", target, result, number)));
    }

    [Fact]
    public void ValueCompares()
    {
        var s = NewSequencer();
        s.Put("k", "b");
        Assert.True(Succeeds(s, Cmp("k", CompareTarget.Value, CompareResult.Equal, value: "b")));
        Assert.True(Succeeds(s, Cmp("k", CompareTarget.Value, CompareResult.Greater, value: "a")));
        Assert.True(Succeeds(s, Cmp("k", CompareTarget.Value, CompareResult.Less, value: "ba")));
        Assert.True(Succeeds(s, Cmp("k", CompareTarget.Value, CompareResult.NotEqual, value: "")));
        Assert.False(Succeeds(s, Cmp("k", CompareTarget.Value, CompareResult.Equal, value: "c")));
    }

    [Fact]
    public void ComparesOnMissingKey()
    {
        var s = NewSequencer();
        Assert.True(Succeeds(s, Cmp("nope", CompareTarget.Version, CompareResult.Equal, 0)));
        Assert.True(Succeeds(s, Cmp("nope", CompareTarget.Create, CompareResult.Equal, 0)));
        Assert.True(Succeeds(s, Cmp("nope", CompareTarget.Mod, CompareResult.Less, 1)));
        Assert.True(Succeeds(s, Cmp("nope", CompareTarget.Lease, CompareResult.Equal, 0)));
        Assert.False(Succeeds(s, Cmp("nope", CompareTarget.Value, CompareResult.Equal, value: "")));
        Assert.False(Succeeds(s, Cmp("nope", CompareTarget.Value, CompareResult.NotEqual, value: "x")));
    }

    [Fact]
    public void RangedCompareMustHoldForEveryKey()
    {
        var s = NewSequencer();
        s.Put("a1", "x");
        s.Put("a2", "x");
        s.Put("a2", "y");
        Assert.True(Succeeds(s, Cmp("a", CompareTarget.Version, CompareResult.Greater, 0, end: "b")));
        Assert.False(Succeeds(s, Cmp("a", CompareTarget.Version, CompareResult.Equal, 1, end: "b")));
        Assert.True(Succeeds(s, Cmp("a", CompareTarget.Create, CompareResult.Less, 4, end: "\0")));
        Assert.True(Succeeds(s, Cmp("x", CompareTarget.Version, CompareResult.Equal, 0, end: "y")));
    }

    [Fact]
    public void FailureBranchRunsWhenCompareFails()
    {
        var s = NewSequencer();
        var r = s.Ok(Txn([Cmp("k", CompareTarget.Version, CompareResult.Greater, 0)], [new PutRequest(B("then"), B("1"))], [new PutRequest(B("else"), B("1"))]));
        var txn = (TxnResponse)r.Response!;
        Assert.False(txn.Succeeded);
        Assert.Equal(2, txn.Revision);
        Assert.Single(s.State.Get("else").Kvs);
        Assert.Empty(s.State.Get("then").Kvs);
    }

    [Fact]
    public void OpsSeeEarlierOpsWithSubRevisions()
    {
        var s = NewSequencer();
        s.Put("a", "0");
        var r = s.Ok(Txn([], [
            new PutRequest(B("a"), B("1")) { PrevKv = true },
            new RangeRequest(B("a")),
            new PutRequest(B("a"), B("2")) { PrevKv = true },
            new PutRequest(B("b"), B("x")),
            new DeleteRangeRequest(B("b")) { PrevKv = true },
            new RangeRequest(B("a"), B("\0")),
        ]));
        var txn = (TxnResponse)r.Response!;
        Assert.Equal(3, txn.Revision);
        Assert.Equal("0", S(((PutResponse)txn.Responses[0]).PrevKv!.Value));
        var mid = (RangeResponse)txn.Responses[1];
        Assert.Equal(("1", 3L, 2L), (S(mid.Kvs[0].Value), mid.Kvs[0].ModRevision, mid.Kvs[0].Version));
        Assert.Equal(3, mid.Revision);
        Assert.Equal("1", S(((PutResponse)txn.Responses[2]).PrevKv!.Value));
        var deleted = (DeleteRangeResponse)txn.Responses[4];
        Assert.Equal(1, deleted.Deleted);
        Assert.Equal("x", S(deleted.PrevKvs[0].Value));
        var end = (RangeResponse)txn.Responses[5];
        Assert.Equal(["a"], Keys(end));
        Assert.Equal(3, end.Kvs[0].Version);

        var effect = r.Effect!;
        Assert.Equal(3, effect.Revision);
        Assert.Equal([0L, 1, 2, 3], effect.Changes.Select(c => c.Sub).ToArray());
        Assert.Equal([KeyChangeKind.Put, KeyChangeKind.Put, KeyChangeKind.Put, KeyChangeKind.Delete], effect.Changes.Select(c => c.Kind).ToArray());
        Assert.Equal([2L, 3L], effect.Changes.Take(2).Select(c => c.Version).ToArray());
        Assert.Equal(3, s.Revision);
    }

    [Fact]
    public void NewKeyPutTwiceInOneTxnHasVersionTwo()
    {
        var s = NewSequencer();
        var r = s.Ok(Txn([], [new PutRequest(B("n"), B("1")), new PutRequest(B("n"), B("2"))]));
        var kv = Assert.Single(s.State.Get("n").Kvs);
        Assert.Equal(("2", 2L, 2L, 2L), (S(kv.Value), kv.CreateRevision, kv.ModRevision, kv.Version));
        Assert.Equal(2, r.Effect!.Changes.Count);
    }

    [Fact]
    public void DeleteThenPutStartsANewGeneration()
    {
        var s = NewSequencer();
        s.Put("k", "1");
        s.Put("k", "2");
        s.Ok(Txn([], [new DeleteRangeRequest(B("k")), new PutRequest(B("k"), B("3"))]));
        var kv = Assert.Single(s.State.Get("k").Kvs);
        Assert.Equal((4L, 4L, 1L), (kv.CreateRevision, kv.ModRevision, kv.Version));
    }

    [Fact]
    public void ReadOnlyTxnAndEmptyDeleteDoNotCreateARevision()
    {
        var s = NewSequencer();
        s.Put("a", "1");
        var r = s.Ok(Txn([], [new RangeRequest(B("a")), new DeleteRangeRequest(B("zzz"))]));
        Assert.Null(r.Effect);
        Assert.Equal(2, r.Revision);
        var txn = (TxnResponse)r.Response!;
        Assert.Equal(2, txn.Revision);
        Assert.Equal(0, ((DeleteRangeResponse)txn.Responses[1]).Deleted);
        Assert.Equal(2, ((DeleteRangeResponse)txn.Responses[1]).Revision);
        Assert.Equal(2, s.Revision);
        var empty = s.Ok(Txn([], []));
        Assert.Null(empty.Effect);
        Assert.True(((TxnResponse)empty.Response!).Succeeded);
    }

    [Fact]
    public void NestedTxnComparesSeeTheStateBeforeTheOuterTxn()
    {
        var s = NewSequencer();
        var inner = Txn([Cmp("k", CompareTarget.Version, CompareResult.Equal, 0)], [new PutRequest(B("inner"), B("then"))], [new PutRequest(B("inner"), B("else"))]);
        var r = s.Ok(Txn([], [new PutRequest(B("k"), B("v")), inner, new RangeRequest(B("inner"))]));
        var txn = (TxnResponse)r.Response!;
        var nested = (TxnResponse)txn.Responses[1];
        Assert.True(nested.Succeeded);
        Assert.IsType<PutResponse>(Assert.Single(nested.Responses));
        Assert.Equal("then", S(((RangeResponse)txn.Responses[2]).Kvs[0].Value));
        Assert.Equal([0L, 1], r.Effect!.Changes.Select(c => c.Sub).ToArray());
    }

    [Fact]
    public void IgnoreValueAndIgnoreLease()
    {
        var s = NewSequencer(5, 6);
        s.Put("k", "v", lease: 5);
        var r = s.Ok(new PutRequest(B("k"), []) { IgnoreValue = true, Lease = 6, PrevKv = true });
        var kv = Assert.Single(s.State.Get("k").Kvs);
        Assert.Equal(("v", 6L, 2L), (S(kv.Value), kv.Lease, kv.Version));
        Assert.Equal(5, ((PutResponse)r.Response!).PrevKv!.Lease);
        s.Ok(new PutRequest(B("k"), B("w")) { IgnoreLease = true });
        kv = Assert.Single(s.State.Get("k").Kvs);
        Assert.Equal(("w", 6L), (S(kv.Value), kv.Lease));
        Assert.Equal(r.Effect!.Changes[0].Value, B("v"));
    }

    [Fact]
    public void IgnoreValueOnMissingKeyIsKeyNotFound()
    {
        var s = NewSequencer();
        Assert.Equal(MvccError.KeyNotFound, s.Resolve(new PutRequest(B("k"), []) { IgnoreValue = true }).Error);
        Assert.Equal(MvccError.KeyNotFound, s.Resolve(new PutRequest(B("k"), B("x")) { IgnoreLease = true }).Error);
        Assert.Equal(1, s.Revision);

        // In a txn the check is against the state before the txn, as etcd's checkPut.
        var txn = Txn([], [new PutRequest(B("k"), B("1")), new PutRequest(B("k"), []) { IgnoreValue = true }]);
        Assert.Equal(MvccError.KeyNotFound, s.Resolve(txn).Error);
        Assert.Equal(1, s.Revision);
        Assert.Empty(s.State.Get("k").Kvs);
    }

    [Fact]
    public void FailedTxnMidwayChangesNothing()
    {
        var s = NewSequencer();
        s.Put("k", "1");
        var txn = Txn([], [new PutRequest(B("other"), B("1")), new DeleteRangeRequest(B("k")), new PutRequest(B("k"), []) { IgnoreValue = true }]);
        var r = s.Resolve(txn);
        Assert.Equal(MvccError.KeyNotFound, r.Error);
        Assert.Null(r.Effect);
        Assert.Equal(2, s.Revision);
        Assert.Empty(s.State.Get("other").Kvs);
        Assert.Equal("1", S(s.State.Get("k").Kvs[0].Value));
        Assert.Equal(3, s.Put("next", "x").Revision);
    }

    [Fact]
    public void LeaseMustExist()
    {
        var s = NewSequencer(9);
        Assert.Equal(MvccError.LeaseNotFound, s.Resolve(new PutRequest(B("k"), B("v")) { Lease = 8 }).Error);
        Assert.Equal(MvccError.LeaseNotFound, s.Resolve(Txn([], [new PutRequest(B("k"), B("v")) { Lease = 8 }])).Error);
        Assert.Equal(2, s.Put("k", "v", lease: 9).Revision);
        // Only the executed branch is checked.
        Assert.False(s.Resolve(Txn([Cmp("k", CompareTarget.Version, CompareResult.Equal, 0)], [new PutRequest(B("k"), B("v")) { Lease = 8 }])).IsError);
    }

    [Fact]
    public void TxnRangeRevisionChecks()
    {
        var s = NewSequencer();
        s.Put("a", "1");
        s.Put("a", "2");
        Assert.Equal(MvccError.FutureRevision, s.Resolve(Txn([], [new RangeRequest(B("a")) { Revision = 4 }])).Error);
        s.Ok(new CompactionRequest(3));
        Assert.Equal(MvccError.Compacted, s.Resolve(Txn([], [new PutRequest(B("b"), B("1")), new RangeRequest(B("a")) { Revision = 2 }])).Error);
        Assert.Equal(3, s.Revision);
        var r = (TxnResponse)s.Ok(Txn([], [new RangeRequest(B("a")) { Revision = 3 }])).Response!;
        Assert.Equal("2", S(((RangeResponse)r.Responses[0]).Kvs[0].Value));
    }
}
