using EtcdOrleans.Scenarios.Tests.Support;
using EtcdOrleans.Scenarios.Tests.Targets;
using Etcdserverpb;
using Grpc.Core;
using CompareResult = Etcdserverpb.Compare.Types.CompareResult;
using CompareTarget = Etcdserverpb.Compare.Types.CompareTarget;

namespace EtcdOrleans.Scenarios.Tests;

/// <summary>
/// What etcd refuses in a txn before running it: more than 128 operations in a list (--max-txn-ops, nested txns
/// counting against what their parent leaves), and a key written twice in one branch.
/// </summary>
public abstract class TxnLimitScenarios(EtcdTargetFixture fixture)
{
    private const int MaxTxnOps = 128;
    private const string TooManyOps = "etcdserver: too many operations in txn request";
    private const string DuplicateKey = "etcdserver: duplicate key given in txn request";

    [Fact]
    public async Task AtMost128OpsInEachOfComparesSuccessAndFailure()
    {
        var s = await fixture.BeginAsync();

        var full = await s.Client.TransactionAsync(Ops.Txn(
            Enumerable.Range(0, MaxTxnOps).Select(i => s.Compare($"c{i}", CompareTarget.Version, CompareResult.Equal, 0L)),
            Enumerable.Range(0, MaxTxnOps).Select(i => s.Put($"k{i:D3}", "v")),
            Enumerable.Range(0, MaxTxnOps).Select(i => s.Get($"k{i:D3}"))));
        Assert.True(full.Succeeded);
        Assert.Equal(s.Rev(1), full.Header.Revision);
        Assert.Equal(MaxTxnOps, (await s.RangeAllAsync(r => r.CountOnly = true)).Count);

        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, TooManyOps, () => s.Client.TransactionAsync(Ops.Txn(
            Enumerable.Range(0, MaxTxnOps + 1).Select(i => s.Compare($"c{i}", CompareTarget.Version, CompareResult.Equal, 0L)), [])));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, TooManyOps, () => s.Client.TransactionAsync(Ops.Txn(
            [], Enumerable.Range(0, MaxTxnOps + 1).Select(i => s.Put($"x{i}", "v")))));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, TooManyOps, () => s.Client.TransactionAsync(Ops.Txn(
            [], [], Enumerable.Range(0, MaxTxnOps + 1).Select(i => s.Get("a")))));
        Assert.Equal(s.Rev(1), await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task ANestedTxnMayUseOnlyWhatItsParentLeaves()
    {
        var s = await fixture.BeginAsync();
        TxnRequest Nested(int ops) => Ops.Txn([], Enumerable.Range(0, ops).Select(i => s.Get($"n{i}")));

        // The parent's largest list has 28 ops, so a nested list may have 100, not 101.
        var fits = await s.Client.TransactionAsync(Ops.Txn(
            [], Enumerable.Range(0, 27).Select(i => s.Put($"p{i}", "v")).Append(Ops.Txn(Nested(100)))));
        Assert.Equal(100, fits.Responses[27].ResponseTxn.Responses.Count);

        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, TooManyOps, () => s.Client.TransactionAsync(Ops.Txn(
            [], Enumerable.Range(0, 27).Select(i => s.Get($"p{i}")).Append(Ops.Txn(Nested(101))))));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, TooManyOps, () => s.Client.TransactionAsync(Ops.Txn(
            Enumerable.Range(0, 28).Select(i => s.Compare($"c{i}", CompareTarget.Version, CompareResult.Equal, 0L)), [], [Ops.Txn(Nested(101))])));
        Assert.Equal(s.Rev(1), await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task TwoPutsOfOneKeyInABranchAreRejectedButOneInEachBranchIsNot()
    {
        var s = await fixture.BeginAsync();

        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, DuplicateKey,
            () => s.Client.TransactionAsync(Ops.Txn([], [s.Put("a", "1"), s.Put("b", "1"), s.Put("a", "2")])));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, DuplicateKey,
            () => s.Client.TransactionAsync(Ops.Txn([], [], [s.Put("a", "1"), s.Put("a", "2")])));
        var oneEach = await s.Client.TransactionAsync(Ops.Txn([], [s.Put("a", "then")], [s.Put("a", "else")]));

        Assert.True(oneEach.Succeeded);
        Assert.Equal(s.Rev(1), oneEach.Header.Revision);
    }

    [Fact]
    public async Task APutInsideADeletedRangeIsRejectedInEitherOrder()
    {
        var s = await fixture.BeginAsync();

        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, DuplicateKey,
            () => s.Client.TransactionAsync(Ops.Txn([], [s.DeleteRange("a", "c"), s.Put("b", "1")])));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, DuplicateKey,
            () => s.Client.TransactionAsync(Ops.Txn([], [s.Put("b", "1"), s.DeleteRange("a", "c")])));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, DuplicateKey,
            () => s.Client.TransactionAsync(Ops.Txn([], [s.Put("a", "1"), s.Delete("a")])));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, DuplicateKey,
            () => s.Client.TransactionAsync(Ops.Txn([], [s.DeleteRange("a", "b"), s.Put("a", "1")])));
        Assert.Equal(s.Baseline, await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task PutsAtTheEndOfADeletedRangeAndOverlappingDeletesAreAllowed()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("b", "old");

        var txn = await s.Client.TransactionAsync(Ops.Txn([],
        [
            s.DeleteRange("a", "c"),
            s.DeleteRange("b", "d"),
            s.Delete("b"),
            s.Put("d", "end is exclusive"),
            s.Put("0", "before the range"),
            s.Get("b"),
        ]));

        Assert.Equal(s.Rev(2), txn.Header.Revision);
        Assert.Equal([1L, 0L, 0L], txn.Responses.Take(3).Select(r => r.ResponseDeleteRange.Deleted));
        Assert.Empty(txn.Responses[5].ResponseRange.Kvs);
        Assert.Equal(["0", "d"], Bytes.Names(await s.RangeAllAsync(), s));
    }

    [Fact]
    public async Task DuplicatesAcrossNestedTxnsAreRejected()
    {
        var s = await fixture.BeginAsync();
        var putA = Ops.Txn([], [s.Put("a", "nested")]);
        var deleteAtoC = Ops.Txn([], [s.DeleteRange("a", "c")]);

        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, DuplicateKey,
            () => s.Client.TransactionAsync(Ops.Txn([], [s.Put("a", "outer"), Ops.Txn(putA)])));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, DuplicateKey,
            () => s.Client.TransactionAsync(Ops.Txn([], [Ops.Txn(putA), Ops.Txn(putA)])));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, DuplicateKey,
            () => s.Client.TransactionAsync(Ops.Txn([], [s.Delete("a"), Ops.Txn(putA)])));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, DuplicateKey,
            () => s.Client.TransactionAsync(Ops.Txn([], [Ops.Txn(deleteAtoC), s.Put("b", "outer")])));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, DuplicateKey,
            () => s.Client.TransactionAsync(Ops.Txn([], [Ops.Txn(Ops.Txn([], [s.Put("a", "1"), s.Put("a", "2")]))])));
        Assert.Equal(s.Baseline, await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task ANestedTxnMayPutOneKeyInBothItsBranchesAndBesideDeletesOfAnEarlierNestedTxn()
    {
        var s = await fixture.BeginAsync();
        var thenOrElse = Ops.Txn([s.Compare("a", CompareTarget.Version, CompareResult.Equal, 0L)], [s.Put("a", "then")], [s.Put("a", "else")]);

        var both = await s.Client.TransactionAsync(Ops.Txn([], [Ops.Txn(thenOrElse)]));
        Assert.True(both.Responses[0].ResponseTxn.Succeeded);

        // etcd adds a nested txn's deletes only after checking its puts, so a put of a later nested txn
        // is checked against them but a delete of a later nested txn is not checked against earlier puts.
        var putThenDelete = await s.Client.TransactionAsync(Ops.Txn([], [Ops.Txn(Ops.Txn([], [s.Put("x", "1")])), Ops.Txn(Ops.Txn([], [s.Delete("x")]))]));
        Assert.Equal(1, putThenDelete.Responses[1].ResponseTxn.Responses[0].ResponseDeleteRange.Deleted);
        Assert.Empty((await s.GetAsync("x")).Kvs);
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, DuplicateKey, () => s.Client.TransactionAsync(
            Ops.Txn([], [Ops.Txn(Ops.Txn([], [s.Delete("y")])), Ops.Txn(Ops.Txn([], [s.Put("y", "1")]))])));
        Assert.Equal(s.Rev(2), await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task TooManyOpsIsReportedBeforeDuplicateKeys()
    {
        var s = await fixture.BeginAsync();

        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, TooManyOps, () => s.Client.TransactionAsync(Ops.Txn(
            [], Enumerable.Range(0, MaxTxnOps + 1).Select(_ => s.Put("same", "v")))));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: key is not provided", () => s.Client.TransactionAsync(Ops.Txn(
            [], [s.Put("same", "1"), s.Put("same", "2"), new RequestOp { RequestRange = new RangeRequest() }])));
    }
}

public sealed class TxnLimitScenariosOnEtcd(EtcdFixture fixture) : TxnLimitScenarios(fixture), IClassFixture<EtcdFixture>;

[Collection(TargetCollection.Name)]
public sealed class TxnLimitScenariosOnTarget(TargetFixture fixture) : TxnLimitScenarios(fixture);
