using EtcdOrleans.Contracts;
using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;

namespace EtcdOrleans.Grains.Tests;

/// <summary>The KV paths through the grains of a three-silo cluster: sequencing, apply, fan-out reads.</summary>
public sealed class KvGrainTests(ThreeSiloCluster fixture) : IClassFixture<ThreeSiloCluster>
{
    private readonly KvTestClient _kv = fixture.Kv;

    [Fact]
    public async Task EachWrite_AddsOneRevision_AndIsReadBackLinearizably()
    {
        var first = await _kv.PutAsync("/revisions/a", "1");
        var second = await _kv.PutAsync("/revisions/b", "2");
        var third = await _kv.PutAsync("/revisions/a", "3");

        Assert.Equal(first.Header.Revision + 1, second.Header.Revision);
        Assert.Equal(second.Header.Revision + 1, third.Header.Revision);

        var read = await _kv.GetPrefixAsync("/revisions/");
        Assert.Equal(third.Header.Revision, read.Header.Revision);
        Assert.Equal(2, read.Count);
        var a = read.Kvs.Single(kv => kv.Key.ToStringUtf8() == "/revisions/a");
        Assert.Equal("3", a.Value.ToStringUtf8());
        Assert.Equal(first.Header.Revision, a.CreateRevision);
        Assert.Equal(third.Header.Revision, a.ModRevision);
        Assert.Equal(2, a.Version);
    }

    [Fact]
    public async Task RangeAcrossEveryRangeGrain_IsOneSnapshot_SortedAndLimited()
    {
        // Keys whose first bytes fall into different range grains (the key space is split by first byte).
        var keys = new[] { "\u0001low", "/mid", "Zhigh", "~top" };
        long lastRevision = 0;
        foreach (var key in keys)
        {
            lastRevision = (await _kv.PutAsync(key, key)).Header.Revision;
        }

        var (error, all) = await _kv.RangeAsync(new RangeRequest
        {
            Key = ByteString.CopyFrom(0),
            RangeEnd = ByteString.CopyFrom(0),
            SortOrder = RangeRequest.Types.SortOrder.Descend,
            SortTarget = RangeRequest.Types.SortTarget.Key,
            Limit = 3,
        });
        Assert.Equal(KvError.None, error);
        Assert.True(all!.Count >= 4);
        Assert.True(all.More);
        Assert.Equal(3, all.Kvs.Count);
        Assert.Equal("~top", all.Kvs[0].Key.ToStringUtf8());
        Assert.True(all.Header.Revision >= lastRevision);

        // The same range at the revision before the last write misses exactly that write.
        var (pastError, past) = await _kv.RangeAsync(new RangeRequest
        {
            Key = ByteString.CopyFrom(0),
            RangeEnd = ByteString.CopyFrom(0),
            Revision = lastRevision - 1,
            CountOnly = true,
        });
        Assert.Equal(KvError.None, pastError);
        Assert.Equal(all.Count - 1, past!.Count);
    }

    [Fact]
    public async Task Txn_ComparesAgainstTheSequencedState()
    {
        var put = await _kv.PutAsync("/txn/k", "v1");
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare
        {
            Key = ByteString.CopyFromUtf8("/txn/k"),
            Target = Compare.Types.CompareTarget.Mod,
            Result = Compare.Types.CompareResult.Equal,
            ModRevision = put.Header.Revision,
        });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8("/txn/k"), Value = ByteString.CopyFromUtf8("v2") } });

        var first = await _kv.TxnAsync(txn);
        var second = await _kv.TxnAsync(txn);

        Assert.True(first.Succeeded);
        Assert.Equal(put.Header.Revision + 1, first.Header.Revision);
        Assert.False(second.Succeeded);
        Assert.Equal(first.Header.Revision, second.Header.Revision);
    }

    [Fact]
    public async Task FutureAndCompactedRevisions_AreRefused()
    {
        var put = await _kv.PutAsync("/compact/k", "v");
        var (future, _) = await _kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("/compact/k"), Revision = put.Header.Revision + 1000 });
        Assert.Equal(KvError.FutureRevision, future);

        await _kv.PutAsync("/compact/k", "v2");
        await _kv.CompactAsync(put.Header.Revision);
        var (compacted, _) = await _kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("/compact/k"), Revision = put.Header.Revision - 1 });
        Assert.Equal(KvError.Compacted, compacted);
        var again = await Assert.ThrowsAsync<KvErrorException>(() => _kv.CompactAsync(put.Header.Revision));
        Assert.Equal(KvError.Compacted, again.Error);
    }

    [Fact]
    public async Task EveryReplica_AppliesTheSameHistory()
    {
        var last = 0L;
        for (var i = 0; i < 20; i++)
        {
            last = (await _kv.PutAsync($"/agree/{i}", i.ToString(System.Globalization.CultureInfo.InvariantCulture))).Header.Revision;
        }

        var statuses = await Eventually.ValueAsync(
            async () => await Task.WhenAll(Enumerable.Range(1, ThreeSiloCluster.Replicas)
                .Select(r => fixture.Cluster.Client.GetGrain<IRaftReplicaGrain>(r).GetStatusAsync())),
            all => all.All(s => s.Revision >= last) && all.Select(s => s.AppliedIndex).Distinct().Count() == 1);

        Assert.Single(statuses.Select(s => s.Leader).Distinct());
        Assert.Single(statuses.Select(s => s.Revision).Distinct());
        Assert.Single(statuses.Select(s => s.ClusterId).Distinct());
    }

    [Fact]
    public async Task SerializableRead_SeesAcknowledgedWrites_OfItsCaller()
    {
        // Range grains are fed asynchronously: what a serializable read is sure to see is the revision the caller
        // says it has seen (the gateway passes its last acknowledged write's).
        var put = await _kv.PutAsync("/serializable/k", "v");
        var read = await _kv.GetPrefixAsync("/serializable/", serializable: true, minRevision: put.Header.Revision);
        Assert.True(read.Header.Revision >= put.Header.Revision);
        Assert.Equal("v", Assert.Single(read.Kvs).Value.ToStringUtf8());
    }
}
