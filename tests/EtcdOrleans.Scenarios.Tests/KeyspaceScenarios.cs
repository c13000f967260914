using EtcdOrleans.Scenarios.Tests.Support;
using EtcdOrleans.Scenarios.Tests.Targets;
using Etcdserverpb;
using Grpc.Core;
using CompareResult = Etcdserverpb.Compare.Types.CompareResult;
using CompareTarget = Etcdserverpb.Compare.Types.CompareTarget;

namespace EtcdOrleans.Scenarios.Tests;

/// <summary>
/// Ranges, deletes and compares over the whole keyspace ("\0" as range end). They see every key of the store, so
/// each starts by deleting everything; their target is used by no other test at the same time (each "OnEtcd" class
/// has an etcd of its own, and the "OnTarget" classes run one after another).
/// </summary>
public abstract class KeyspaceScenarios(EtcdTargetFixture fixture)
{
    private static readonly Google.Protobuf.ByteString Zero = Bytes.FromKeyEnd;

    [Fact]
    public async Task KeyZeroWithEndZeroIsEveryKeyAndFromKeyIsEveryKeyAtOrAfter()
    {
        await WipeAsync();
        var s = await fixture.BeginAsync();
        foreach (var key in new[] { "x1", "x2", "y", "\u007f", "a" })
        {
            await s.Client.PutAsync(new PutRequest { Key = Bytes.Of(key), Value = Bytes.Of(key) });
        }

        var all = await s.Client.GetAsync(new RangeRequest { Key = Zero, RangeEnd = Zero });
        var fromX2 = await s.Client.GetAsync(new RangeRequest { Key = Bytes.Of("x2"), RangeEnd = Zero });
        var fromX2Limited = await s.Client.GetAsync(new RangeRequest { Key = Bytes.Of("x2"), RangeEnd = Zero, Limit = 1 });

        Assert.Equal(["a", "x1", "x2", "y", "\u007f"], all.Kvs.Select(kv => kv.Key.ToStringUtf8()));
        Assert.Equal(5, all.Count);
        Assert.Equal(["x2", "y", "\u007f"], fromX2.Kvs.Select(kv => kv.Key.ToStringUtf8()));
        Assert.Equal(3, fromX2.Count);
        Assert.Equal(["x2"], fromX2Limited.Kvs.Select(kv => kv.Key.ToStringUtf8()));
        Assert.True(fromX2Limited.More);
        Assert.Equal(3, fromX2Limited.Count);
    }

    [Fact]
    public async Task DeleteFromKeyRemovesEveryKeyAtOrAfterInOneRevision()
    {
        await WipeAsync();
        var s = await fixture.BeginAsync();
        foreach (var key in new[] { "k1", "k2", "k3", "j" })
        {
            await s.Client.PutAsync(new PutRequest { Key = Bytes.Of(key), Value = Bytes.Of("v") });
        }

        var delete = await s.Client.DeleteAsync(new DeleteRangeRequest { Key = Bytes.Of("k2"), RangeEnd = Zero });

        Assert.Equal((2L, s.Rev(5)), (delete.Deleted, delete.Header.Revision));
        var left = await s.Client.GetAsync(new RangeRequest { Key = Zero, RangeEnd = Zero, KeysOnly = true });
        Assert.Equal(["j", "k1"], left.Kvs.Select(kv => kv.Key.ToStringUtf8()));
    }

    [Fact]
    public async Task AnEmptyStoreAnswersEmptyRangesAndNoOpDeletes()
    {
        await WipeAsync();
        var s = await fixture.BeginAsync();

        var all = await s.Client.GetAsync(new RangeRequest { Key = Zero, RangeEnd = Zero });
        var delete = await s.Client.DeleteAsync(new DeleteRangeRequest { Key = Zero, RangeEnd = Zero });

        Assert.Empty(all.Kvs);
        Assert.Equal(0, all.Count);
        Assert.Equal((0L, s.Baseline), (delete.Deleted, delete.Header.Revision));
    }

    /// <summary>
    /// etcd 3.4 quirk: the duplicate-key check takes a delete's range end "\0" literally (an interval that ends before
    /// it begins), so a txn may both delete every key from k on and put a key after k; the ops then run in order.
    /// </summary>
    [Fact]
    public async Task AFromKeyDeleteAndAPutAfterItMayShareATxnAndRunInOrder()
    {
        await WipeAsync();
        var s = await fixture.BeginAsync();
        await s.Client.PutAsync(new PutRequest { Key = Bytes.Of("k1"), Value = Bytes.Of("old") });
        var deleteFromK = new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Bytes.Of("k"), RangeEnd = Zero } };

        var deleteThenPut = await s.Client.TransactionAsync(Ops.Txn([], [deleteFromK, Put("k2")]));
        var putThenDelete = await s.Client.TransactionAsync(Ops.Txn([], [Put("k3"), deleteFromK]));

        Assert.Equal((1L, s.Rev(2)), (deleteThenPut.Responses[0].ResponseDeleteRange.Deleted, deleteThenPut.Header.Revision));
        Assert.Equal((2L, s.Rev(3)), (putThenDelete.Responses[1].ResponseDeleteRange.Deleted, putThenDelete.Header.Revision));
        Assert.Empty((await s.Client.GetAsync(new RangeRequest { Key = Zero, RangeEnd = Zero })).Kvs);

        // A bounded range is checked: the same txn with a range end is refused.
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: duplicate key given in txn request", () => s.Client.TransactionAsync(
            Ops.Txn([], [new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Bytes.Of("k"), RangeEnd = Bytes.Of("l") } }, Put("k2")])));
    }

    [Fact]
    public async Task ACompareFromAKeyCoversEveryKeyAtOrAfterIt()
    {
        await WipeAsync();
        var s = await fixture.BeginAsync();
        foreach (var key in new[] { "a", "m1", "m2" })
        {
            await s.Client.PutAsync(new PutRequest { Key = Bytes.Of(key), Value = Bytes.Of(key == "a" ? "x" : "y") });
        }

        var fromM = await s.Client.TransactionAsync(Ops.Txn([Ops.Compare(Bytes.Of("m"), CompareTarget.Value, CompareResult.Equal, "y", Zero)], []));
        var fromA = await s.Client.TransactionAsync(Ops.Txn([Ops.Compare(Bytes.Of("a"), CompareTarget.Value, CompareResult.Equal, "y", Zero)], []));
        var all = await s.Client.TransactionAsync(Ops.Txn([Ops.Compare(Zero, CompareTarget.Version, CompareResult.Equal, 1L, Zero)], []));

        Assert.Equal((true, false, true), (fromM.Succeeded, fromA.Succeeded, all.Succeeded));
    }

    [Fact]
    public async Task SortAndLimitOverTheWholeKeyspace()
    {
        await WipeAsync();
        var s = await fixture.BeginAsync();
        foreach (var (key, value) in new[] { ("b", "1"), ("a", "3"), ("c", "2") })
        {
            await s.Client.PutAsync(new PutRequest { Key = Bytes.Of(key), Value = Bytes.Of(value) });
        }

        var byValue = await s.Client.GetAsync(new RangeRequest
        {
            Key = Zero, RangeEnd = Zero, SortTarget = RangeRequest.Types.SortTarget.Value, SortOrder = RangeRequest.Types.SortOrder.Descend, Limit = 2,
        });
        var countOnly = await s.Client.GetAsync(new RangeRequest { Key = Zero, RangeEnd = Zero, CountOnly = true });

        Assert.Equal(["a", "c"], byValue.Kvs.Select(kv => kv.Key.ToStringUtf8()));
        Assert.Equal((3L, true), (byValue.Count, byValue.More));
        Assert.Equal(3L, countOnly.Count);
    }

    private static RequestOp Put(string key) => new() { RequestPut = new PutRequest { Key = Bytes.Of(key), Value = Bytes.Of("v") } };

    private async Task WipeAsync() =>
        await fixture.Client.DeleteAsync(new DeleteRangeRequest { Key = Zero, RangeEnd = Zero });
}

public sealed class KeyspaceScenariosOnEtcd(EtcdFixture fixture) : KeyspaceScenarios(fixture), IClassFixture<EtcdFixture>;

[Collection(TargetCollection.Name)]
public sealed class KeyspaceScenariosOnTarget(TargetFixture fixture) : KeyspaceScenarios(fixture);
