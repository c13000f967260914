using EtcdOrleans.Scenarios.Tests.Support;
using EtcdOrleans.Scenarios.Tests.Targets;
using Etcdserverpb;
using Grpc.Core;
using CompareResult = Etcdserverpb.Compare.Types.CompareResult;
using CompareTarget = Etcdserverpb.Compare.Types.CompareTarget;

namespace EtcdOrleans.Scenarios.Tests;

/// <summary>
/// Txn: branches, what the ops of one txn see of each other, revisions of write and read-only txns, the
/// responses of every kind of op (with their inner headers), nested txns, and the errors found when the txn runs.
/// </summary>
public abstract class TxnScenarios(EtcdTargetFixture fixture)
{
    [Fact]
    public async Task ATxnWithoutComparesTakesTheSuccessBranch()
    {
        var s = await fixture.BeginAsync();

        var txn = await s.Client.TransactionAsync(Ops.Txn([], [s.Put("a", "then")], [s.Put("a", "else")]));

        Assert.True(txn.Succeeded);
        Assert.Equal(s.Rev(1), txn.Header.Revision);
        Assert.Equal("then", Assert.Single((await s.GetAsync("a")).Kvs).Value.ToStringUtf8());
    }

    [Fact]
    public async Task AFailedCompareRunsTheFailureBranchAndAnEmptyBranchChangesNothing()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");

        var failure = await s.Client.TransactionAsync(
            Ops.Txn([s.Compare("a", CompareTarget.Value, CompareResult.Equal, "2")], [s.Put("b", "then")], [s.Put("b", "else")]));
        var emptyFailure = await s.Client.TransactionAsync(
            Ops.Txn([s.Compare("a", CompareTarget.Value, CompareResult.Equal, "2")], [s.Put("c", "then")]));

        Assert.False(failure.Succeeded);
        Assert.Equal(s.Rev(2), failure.Header.Revision);
        Assert.Equal("else", Assert.Single((await s.GetAsync("b")).Kvs).Value.ToStringUtf8());
        Assert.False(emptyFailure.Succeeded);
        Assert.Empty(emptyFailure.Responses);
        Assert.Equal(s.Rev(2), emptyFailure.Header.Revision);
        Assert.Equal(s.Rev(2), await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task AllComparesMustHoldForTheSuccessBranch()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");
        await s.PutAsync("b", "2");

        var both = await s.Client.TransactionAsync(Ops.Txn(
            [s.Compare("a", CompareTarget.Value, CompareResult.Equal, "1"), s.Compare("b", CompareTarget.Value, CompareResult.Equal, "2")], []));
        var oneFails = await s.Client.TransactionAsync(Ops.Txn(
            [s.Compare("a", CompareTarget.Value, CompareResult.Equal, "1"), s.Compare("b", CompareTarget.Value, CompareResult.Equal, "3")], []));

        Assert.True(both.Succeeded);
        Assert.False(oneFails.Succeeded);
    }

    [Fact]
    public async Task AWriteTxnTakesOneRevisionForAllItsChanges()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("gone", "x");

        var txn = await s.Client.TransactionAsync(Ops.Txn([], [s.Put("a", "1"), s.Put("b", "2"), s.Delete("gone"), s.Put("c", "3")]));

        Assert.Equal(s.Rev(2), txn.Header.Revision);
        var all = await s.RangeAllAsync();
        Assert.Equal(["a", "b", "c"], Bytes.Names(all, s));
        Assert.All(all.Kvs, kv => Assert.Equal((s.Rev(2), s.Rev(2), 1L), (kv.CreateRevision, kv.ModRevision, kv.Version)));
        Assert.Equal(s.Rev(3), (await s.PutAsync("d", "4")).Header.Revision);
    }

    [Fact]
    public async Task OpsSeeTheEffectsOfEarlierOpsOfTheSameTxn()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "old");
        await s.PutAsync("b", "old");

        var txn = await s.Client.TransactionAsync(Ops.Txn([],
        [
            s.Get("a"),
            s.Put("a", "new", prevKv: true),
            s.Get("a"),
            s.Delete("b", prevKv: true),
            s.GetRange("a", "z"),
            s.Put("c", "fresh"),
            s.GetRange("a", "z"),
        ]));

        Assert.Equal(s.Rev(3), txn.Header.Revision);
        var before = txn.Responses[0].ResponseRange;
        Assert.Equal(("old", s.Rev(1)), (Assert.Single(before.Kvs).Value.ToStringUtf8(), before.Kvs[0].ModRevision));
        var put = txn.Responses[1].ResponsePut;
        Assert.Equal(("old", s.Rev(1)), (put.PrevKv.Value.ToStringUtf8(), put.PrevKv.ModRevision));
        var after = Assert.Single(txn.Responses[2].ResponseRange.Kvs);
        Assert.Equal(("new", s.Rev(1), s.Rev(3), 2L), (after.Value.ToStringUtf8(), after.CreateRevision, after.ModRevision, after.Version));
        var delete = txn.Responses[3].ResponseDeleteRange;
        Assert.Equal((1L, "old"), (delete.Deleted, Assert.Single(delete.PrevKvs).Value.ToStringUtf8()));
        Assert.Equal(["a"], Bytes.Names(txn.Responses[4].ResponseRange.Kvs, s.Prefix));
        Assert.Equal(["a", "c"], Bytes.Names(txn.Responses[6].ResponseRange.Kvs, s.Prefix));
        Assert.Equal(2, txn.Responses[6].ResponseRange.Count);
    }

    [Fact]
    public async Task InnerResponseHeadersCarryOnlyTheRevisionTheOpSaw()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");
        await s.PutAsync("c", "1");

        var write = await s.Client.TransactionAsync(Ops.Txn([], [s.Get("a"), s.Put("b", "2"), s.Get("a"), s.Delete("missing"), s.Delete("c")]));
        var readOnly = await s.Client.TransactionAsync(Ops.Txn([], [s.Get("a"), s.Get("a", s.Rev(1))]));
        var noChange = await s.Client.TransactionAsync(Ops.Txn([], [s.Delete("missing"), s.Get("a")]));

        // Before the txn's first change an op sees the current revision, from then on the txn's own revision.
        Assert.Equal(s.Rev(3), write.Header.Revision);
        Assert.Equal([s.Rev(2), s.Rev(3), s.Rev(3), s.Rev(3), s.Rev(3)], write.Responses.Select(InnerHeader).Select(h => h.Revision));
        Assert.Equal([s.Rev(3), s.Rev(3)], readOnly.Responses.Select(InnerHeader).Select(h => h.Revision));
        Assert.Equal([s.Rev(3), s.Rev(3)], noChange.Responses.Select(InnerHeader).Select(h => h.Revision));

        // Only the outer header names the cluster, the member and the raft term.
        Assert.All(
            write.Responses.Concat(readOnly.Responses).Concat(noChange.Responses).Select(InnerHeader),
            h => Assert.Equal((0UL, 0UL, 0UL), (h.ClusterId, h.MemberId, h.RaftTerm)));
        Assert.NotEqual(0UL, write.Header.ClusterId);
        Assert.NotEqual(0UL, write.Header.MemberId);
        Assert.NotEqual(0UL, write.Header.RaftTerm);
    }

    [Fact]
    public async Task AReadOnlyTxnDoesNotChangeTheRevision()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");

        var txn = await s.Client.TransactionAsync(Ops.Txn(
            [s.Compare("a", CompareTarget.Version, CompareResult.Equal, 1)], [s.Get("a"), s.GetRange("a", "z")], [s.Put("a", "never")]));

        Assert.True(txn.Succeeded);
        Assert.Equal(s.Rev(1), txn.Header.Revision);
        Assert.Equal(s.Rev(1), await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task AWriteTxnThatChangesNothingDoesNotChangeTheRevision()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");

        var txn = await s.Client.TransactionAsync(Ops.Txn([], [s.Delete("missing"), s.DeleteRange("x", "z"), s.Get("a")]));

        Assert.Equal(s.Rev(1), txn.Header.Revision);
        Assert.Equal(0, txn.Responses[0].ResponseDeleteRange.Deleted);
        Assert.Equal(s.Rev(1), txn.Responses[2].ResponseRange.Header.Revision);
        Assert.Equal(s.Rev(1), await s.CurrentRevisionAsync());
        Assert.Equal(s.Rev(2), (await s.PutAsync("b", "2")).Header.Revision);
    }

    [Fact]
    public async Task AnEmptyTxnSucceedsWithNoResponses()
    {
        var s = await fixture.BeginAsync();

        var txn = await s.Client.TransactionAsync(new TxnRequest());

        Assert.True(txn.Succeeded);
        Assert.Empty(txn.Responses);
        Assert.Equal(s.Baseline, txn.Header.Revision);
    }

    [Fact]
    public async Task NestedTxnsRunTheirOwnBranchesAndAnswerInPlace()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("flag", "on");

        var inner = Ops.Txn([s.Compare("flag", CompareTarget.Value, CompareResult.Equal, "off")], [s.Put("inner", "then")], [s.Put("inner", "else"), s.Get("flag")]);
        var txn = await s.Client.TransactionAsync(Ops.Txn(
            [s.Compare("flag", CompareTarget.Value, CompareResult.Equal, "on")],
            [s.Put("outer", "1"), Ops.Txn(inner), s.Get("inner")]));

        Assert.True(txn.Succeeded);
        Assert.Equal(s.Rev(2), txn.Header.Revision);
        var nested = txn.Responses[1].ResponseTxn;
        Assert.False(nested.Succeeded);
        Assert.Equal(2, nested.Responses.Count);
        Assert.Equal(s.Rev(2), nested.Responses[0].ResponsePut.Header.Revision);
        Assert.Equal("on", Assert.Single(nested.Responses[1].ResponseRange.Kvs).Value.ToStringUtf8());
        Assert.Equal(new ResponseHeader(), nested.Header); // a nested txn's header is present but empty: not even a revision
        Assert.Equal("else", Assert.Single(txn.Responses[2].ResponseRange.Kvs).Value.ToStringUtf8());
    }

    [Fact]
    public async Task NestedComparesAreEvaluatedBeforeAnyOpOfTheTxnRuns()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "0");

        // The outer txn sets a=1 before the nested txn, yet the nested compare still sees a=0.
        var inner = Ops.Txn([s.Compare("a", CompareTarget.Value, CompareResult.Equal, "1")], [s.Put("seen", "1")], [s.Put("seen", "0")]);
        var txn = await s.Client.TransactionAsync(Ops.Txn([], [s.Put("a", "1"), Ops.Txn(inner)]));

        Assert.False(txn.Responses[1].ResponseTxn.Succeeded);
        Assert.Equal("0", Assert.Single((await s.GetAsync("seen")).Kvs).Value.ToStringUtf8());
        Assert.Equal(s.Rev(2), txn.Header.Revision);
    }

    [Fact]
    public async Task ANestedTxnThatOnlyReadsStillMakesTheTxnAWriteOne()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");

        var txn = await s.Client.TransactionAsync(Ops.Txn([], [Ops.Txn(Ops.Txn([], [s.Get("a")]))]));

        Assert.True(txn.Responses[0].ResponseTxn.Succeeded);
        Assert.Equal("1", Assert.Single(txn.Responses[0].ResponseTxn.Responses[0].ResponseRange.Kvs).Value.ToStringUtf8());
        Assert.Equal(s.Rev(1), txn.Header.Revision);
        Assert.Equal(s.Rev(1), await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task AnOpWithNoRequestIsKeyNotFound()
    {
        var s = await fixture.BeginAsync();

        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: key not found",
            () => s.Client.TransactionAsync(Ops.Txn([], [s.Put("a", "1"), new RequestOp()])));
        Assert.Equal(s.Baseline, await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task InvalidOpsAndComparesAreRejectedInEitherBranchAndAtAnyDepth()
    {
        var s = await fixture.BeginAsync();
        var emptyKeyPut = new RequestOp { RequestPut = new PutRequest { Value = Bytes.Of("v") } };
        var valueWithIgnoreValue = new RequestOp { RequestPut = new PutRequest { Key = s.K("a"), Value = Bytes.Of("v"), IgnoreValue = true } };
        var leaseWithIgnoreLease = new RequestOp { RequestPut = new PutRequest { Key = s.K("a"), Lease = 7, IgnoreLease = true } };
        var emptyKeyRange = new RequestOp { RequestRange = new RangeRequest() };
        var emptyKeyDelete = new RequestOp { RequestDeleteRange = new DeleteRangeRequest() };
        var emptyKeyCompare = new Compare { Target = CompareTarget.Version, Version = 0 };

        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: key is not provided",
            () => s.Client.TransactionAsync(Ops.Txn([emptyKeyCompare], [])));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: key is not provided",
            () => s.Client.TransactionAsync(Ops.Txn([], [], [emptyKeyPut])));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: key is not provided",
            () => s.Client.TransactionAsync(Ops.Txn([], [emptyKeyRange])));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: key is not provided",
            () => s.Client.TransactionAsync(Ops.Txn([], [Ops.Txn(Ops.Txn([], [], [emptyKeyDelete]))])));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: value is provided",
            () => s.Client.TransactionAsync(Ops.Txn([], [], [valueWithIgnoreValue])));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: lease is provided",
            () => s.Client.TransactionAsync(Ops.Txn([], [Ops.Txn(Ops.Txn([s.Compare("a", CompareTarget.Version, CompareResult.Greater, 0)], [leaseWithIgnoreLease]))])));

        // The first error in order: compares, then success ops, then failure ops.
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: value is provided",
            () => s.Client.TransactionAsync(Ops.Txn([], [valueWithIgnoreValue], [emptyKeyPut])));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: key is not provided",
            () => s.Client.TransactionAsync(Ops.Txn([emptyKeyCompare], [valueWithIgnoreValue])));
        Assert.Equal(s.Baseline, await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task ErrorsOfTheBranchThatRunsFailTheWholeTxnAndThoseOfTheOtherBranchDoNot()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");
        var unknownLease = s.Put("b", "1", lease: 0x7777_7777);
        var ignoreValueOnMissing = new RequestOp { RequestPut = new PutRequest { Key = s.K("missing"), IgnoreValue = true } };
        var futureRead = s.Get("a", s.Rev(5));
        var holds = s.Compare("a", CompareTarget.Value, CompareResult.Equal, "1");

        await RpcAssert.FailsAsync(StatusCode.NotFound, "etcdserver: requested lease not found",
            () => s.Client.TransactionAsync(Ops.Txn([holds], [s.Put("c", "1"), unknownLease])));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: key not found",
            () => s.Client.TransactionAsync(Ops.Txn([holds], [s.Put("c", "1"), ignoreValueOnMissing])));
        await RpcAssert.FailsAsync(StatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision",
            () => s.Client.TransactionAsync(Ops.Txn([holds], [s.Put("c", "1"), futureRead])));
        await RpcAssert.FailsAsync(StatusCode.NotFound, "etcdserver: requested lease not found",
            () => s.Client.TransactionAsync(Ops.Txn([], [Ops.Txn(Ops.Txn([holds], [unknownLease]))])));
        Assert.Equal(s.Rev(1), await s.CurrentRevisionAsync());
        Assert.Empty((await s.GetAsync("c")).Kvs);

        var otherBranch = await s.Client.TransactionAsync(Ops.Txn([holds], [s.Put("c", "1")], [unknownLease, ignoreValueOnMissing, futureRead]));

        Assert.True(otherBranch.Succeeded);
        Assert.Equal(s.Rev(2), otherBranch.Header.Revision);
    }

    [Fact]
    public async Task AFutureRevisionInAReadOnlyTxnFailsIt()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");

        await RpcAssert.FailsAsync(StatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision",
            () => s.Client.TransactionAsync(Ops.Txn([], [s.Get("a"), s.Get("a", s.Rev(2))])));
        var current = await s.Client.TransactionAsync(Ops.Txn([], [s.Get("a", s.Rev(1))]));

        Assert.Equal("1", Assert.Single(current.Responses[0].ResponseRange.Kvs).Value.ToStringUtf8());
    }

    [Fact]
    public async Task PutsInATxnHonourLeasesPrevKvAndIgnoreFlags()
    {
        var s = await fixture.BeginAsync();
        var lease = await s.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = 300 });
        await s.PutAsync("a", "keep", lease: lease.ID);

        var txn = await s.Client.TransactionAsync(Ops.Txn([],
        [
            new RequestOp { RequestPut = new PutRequest { Key = s.K("a"), IgnoreValue = true, IgnoreLease = true, PrevKv = true } },
            s.Put("b", "leased", lease: lease.ID, prevKv: true),
        ]));

        Assert.Equal("keep", txn.Responses[0].ResponsePut.PrevKv.Value.ToStringUtf8());
        Assert.Null(txn.Responses[1].ResponsePut.PrevKv);
        var all = await s.RangeAllAsync();
        Assert.Equal([("keep", lease.ID, 2L), ("leased", lease.ID, 1L)], all.Kvs.Select(kv => (kv.Value.ToStringUtf8(), kv.Lease, kv.Version)));
        await s.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease.ID });
        Assert.Empty((await s.RangeAllAsync()).Kvs);
        Assert.Equal(s.Rev(3), await s.CurrentRevisionAsync());
    }

    private static ResponseHeader InnerHeader(ResponseOp response) => response.ResponseCase switch
    {
        ResponseOp.ResponseOneofCase.ResponseRange => response.ResponseRange.Header,
        ResponseOp.ResponseOneofCase.ResponsePut => response.ResponsePut.Header,
        ResponseOp.ResponseOneofCase.ResponseDeleteRange => response.ResponseDeleteRange.Header,
        _ => response.ResponseTxn.Header,
    };
}

public sealed class TxnScenariosOnEtcd(EtcdFixture fixture) : TxnScenarios(fixture), IClassFixture<EtcdFixture>;

[Collection(TargetCollection.Name)]
public sealed class TxnScenariosOnTarget(TargetFixture fixture) : TxnScenarios(fixture);
