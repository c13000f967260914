using EtcdOrleans.Scenarios.Tests.Support;
using EtcdOrleans.Scenarios.Tests.Targets;
using Etcdserverpb;
using Grpc.Core;

namespace EtcdOrleans.Scenarios.Tests;

/// <summary>
/// Compact: history before the compaction revision is gone (reads there fail with "compacted"), the compaction
/// revision itself and later stay readable, live keys keep their create revision and version, and compacting
/// at or below an earlier compaction, or in the future, fails. Compaction is global: every scenario here
/// compacts only revisions of its own, after every earlier compaction.
/// </summary>
public abstract class CompactionScenarios(EtcdTargetFixture fixture)
{
    private const string Compacted = "etcdserver: mvcc: required revision has been compacted";
    private const string Future = "etcdserver: mvcc: required revision is a future revision";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadsBeforeTheCompactionRevisionFailAndFromItOnTheySucceed(bool physical)
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");
        await s.PutAsync("a", "2");
        await s.PutAsync("b", "1");
        await s.PutAsync("a", "3");

        var compact = await s.Client.CompactAsync(new CompactionRequest { Revision = s.Rev(2), Physical = physical });

        Assert.Equal(s.Rev(4), compact.Header.Revision);
        Assert.NotEqual(0UL, compact.Header.ClusterId);
        await RpcAssert.FailsAsync(StatusCode.OutOfRange, Compacted, () => s.GetAsync("a", s.Rev(1)));
        await RpcAssert.FailsAsync(StatusCode.OutOfRange, Compacted, () => s.RangeAllAsync(r => (r.Revision, r.CountOnly) = (s.Rev(1), true)));
        var atCompaction = Assert.Single((await s.GetAsync("a", s.Rev(2))).Kvs);
        Assert.Equal(("2", 2L, s.Rev(1), s.Rev(2)), (atCompaction.Value.ToStringUtf8(), atCompaction.Version, atCompaction.CreateRevision, atCompaction.ModRevision));
        Assert.Equal(["a", "b"], Bytes.Names(await s.RangeAllAsync(r => r.Revision = s.Rev(3)), s));
        var now = Assert.Single((await s.GetAsync("a")).Kvs);
        Assert.Equal(("3", 3L, s.Rev(1), s.Rev(4)), (now.Value.ToStringUtf8(), now.Version, now.CreateRevision, now.ModRevision));
        Assert.Equal(s.Rev(4), await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task CompactingAtOrBelowAnEarlierCompactionFails()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");
        await s.PutAsync("a", "2");
        await s.Client.CompactAsync(new CompactionRequest { Revision = s.Rev(2) });

        await RpcAssert.FailsAsync(StatusCode.OutOfRange, Compacted, () => s.Client.CompactAsync(new CompactionRequest { Revision = s.Rev(2) }));
        await RpcAssert.FailsAsync(StatusCode.OutOfRange, Compacted, () => s.Client.CompactAsync(new CompactionRequest { Revision = s.Rev(1) }));
        await RpcAssert.FailsAsync(StatusCode.OutOfRange, Compacted, () => s.Client.CompactAsync(new CompactionRequest { Revision = 0 }));
        await RpcAssert.FailsAsync(StatusCode.OutOfRange, Compacted, () => s.Client.CompactAsync(new CompactionRequest { Revision = -1 }));
        Assert.Equal(s.Rev(2), await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task CompactingInTheFutureFailsAndAtTheCurrentRevisionSucceeds()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");
        await s.PutAsync("a", "2");

        await RpcAssert.FailsAsync(StatusCode.OutOfRange, Future, () => s.Client.CompactAsync(new CompactionRequest { Revision = s.Rev(3) }));
        var compact = await s.Client.CompactAsync(new CompactionRequest { Revision = s.Rev(2), Physical = true });

        Assert.Equal(s.Rev(2), compact.Header.Revision);
        await RpcAssert.FailsAsync(StatusCode.OutOfRange, Compacted, () => s.GetAsync("a", s.Rev(1)));
        Assert.Equal("2", Assert.Single((await s.GetAsync("a", s.Rev(2))).Kvs).Value.ToStringUtf8());
        Assert.Equal(s.Rev(3), (await s.PutAsync("a", "3")).Header.Revision);
    }

    [Fact]
    public async Task AKeyDeletedBeforeTheCompactionRevisionIsGoneFromItsHistory()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");
        await s.Client.DeleteAsync(s.Key("a"));
        await s.PutAsync("b", "1");
        await s.PutAsync("a", "again");

        await s.Client.CompactAsync(new CompactionRequest { Revision = s.Rev(3), Physical = true });

        Assert.Empty((await s.GetAsync("a", s.Rev(3))).Kvs);
        var now = Assert.Single((await s.GetAsync("a")).Kvs);
        Assert.Equal((s.Rev(4), 1L), (now.CreateRevision, now.Version));
    }

    [Fact]
    public async Task ReadsInTxnsAtCompactedRevisionsFailTheTxn()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");
        await s.PutAsync("a", "2");
        await s.Client.CompactAsync(new CompactionRequest { Revision = s.Rev(2) });

        await RpcAssert.FailsAsync(StatusCode.OutOfRange, Compacted,
            () => s.Client.TransactionAsync(Ops.Txn([], [s.Get("a", s.Rev(1))])));
        await RpcAssert.FailsAsync(StatusCode.OutOfRange, Compacted,
            () => s.Client.TransactionAsync(Ops.Txn([], [s.Put("b", "1"), s.Get("a", s.Rev(1))])));
        var atCompaction = await s.Client.TransactionAsync(Ops.Txn([], [s.Get("a", s.Rev(2))]));

        Assert.Equal("2", Assert.Single(atCompaction.Responses[0].ResponseRange.Kvs).Value.ToStringUtf8());
        Assert.Empty((await s.GetAsync("b")).Kvs);
        Assert.Equal(s.Rev(2), await s.CurrentRevisionAsync());
    }

    /// <summary>etcd 3.4 quirk: inside a txn, a range at a negative revision is checked against the compaction revision.</summary>
    [Fact]
    public async Task ANegativeRevisionInATxnIsCompactedOnceTheStoreWasCompacted()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");
        await s.Client.CompactAsync(new CompactionRequest { Revision = s.Rev(1) });

        await RpcAssert.FailsAsync(StatusCode.OutOfRange, Compacted,
            () => s.Client.TransactionAsync(Ops.Txn([], [s.Get("a", -1)])));
        var outsideTxn = await s.GetAsync("a", -1);

        Assert.Equal("1", Assert.Single(outsideTxn.Kvs).Value.ToStringUtf8());
    }
}

public sealed class CompactionScenariosOnEtcd(EtcdFixture fixture) : CompactionScenarios(fixture), IClassFixture<EtcdFixture>;

[Collection(TargetCollection.Name)]
public sealed class CompactionScenariosOnTarget(TargetFixture fixture) : CompactionScenarios(fixture);
