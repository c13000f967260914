using EtcdOrleans.Scenarios.Tests.Support;
using EtcdOrleans.Scenarios.Tests.Targets;
using Etcdserverpb;

namespace EtcdOrleans.Scenarios.Tests;

/// <summary>DeleteRange: single keys, ranges, prefixes, deleted counts, prev_kvs, no-op deletes.</summary>
public abstract class DeleteScenarios(EtcdTargetFixture fixture)
{
    [Fact]
    public async Task DeleteOfOneKeyCountsItAndReturnsPrevKvsOnRequest()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");
        await s.PutAsync("a", "2");

        var delete = await s.Client.DeleteAsync(new DeleteRangeRequest { Key = s.K("a"), PrevKv = true });

        Assert.Equal(s.Rev(3), delete.Header.Revision);
        Assert.Equal(1, delete.Deleted);
        var prev = Assert.Single(delete.PrevKvs);
        Assert.Equal(("2", s.Rev(1), s.Rev(2), 2L), (prev.Value.ToStringUtf8(), prev.CreateRevision, prev.ModRevision, prev.Version));
        Assert.Empty((await s.GetAsync("a")).Kvs);
    }

    [Fact]
    public async Task DeleteWithoutPrevKvReturnsNoPrevKvs()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");

        var delete = await s.Client.DeleteAsync(new DeleteRangeRequest { Key = s.K("a") });

        Assert.Equal(1, delete.Deleted);
        Assert.Empty(delete.PrevKvs);
    }

    [Fact]
    public async Task DeleteOfAMissingKeyDoesNotBumpTheRevision()
    {
        var s = await fixture.BeginAsync();

        var delete = await s.Client.DeleteAsync(new DeleteRangeRequest { Key = s.K("missing"), PrevKv = true });

        Assert.Equal(0, delete.Deleted);
        Assert.Empty(delete.PrevKvs);
        Assert.Equal(s.Baseline, delete.Header.Revision);
        Assert.Equal(s.Baseline, await s.CurrentRevisionAsync());
        var put = await s.PutAsync("a", "1");
        Assert.Equal(s.Rev(1), put.Header.Revision);
    }

    [Fact]
    public async Task DeleteOfAHalfOpenRangeRemovesKeysFromStartBeforeEndInOneRevision()
    {
        var s = await fixture.BeginAsync();
        foreach (var name in new[] { "a", "b", "c", "d" })
        {
            await s.PutAsync(name, name);
        }

        var delete = await s.Client.DeleteAsync(new DeleteRangeRequest { Key = s.K("b"), RangeEnd = s.K("d"), PrevKv = true });

        Assert.Equal(2, delete.Deleted);
        Assert.Equal(s.Rev(5), delete.Header.Revision);
        Assert.Equal(["b", "c"], Bytes.Names(delete.PrevKvs, s.Prefix));
        Assert.Equal(["a", "d"], Bytes.Names(await s.RangeAllAsync(), s));
        Assert.Equal(s.Rev(5), await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task DeleteOfAPrefixRemovesEveryKeyUnderItAndNothingElse()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("dir/x", "1");
        await s.PutAsync("dir/y", "2");
        await s.PutAsync("dir/z/deep", "3");
        await s.PutAsync("dis", "4");
        await s.PutAsync("dir", "5");

        var response = await s.Client.DeleteRangeAsync(s.Key("dir/"));

        Assert.Equal(3, response.Deleted);
        Assert.Equal(s.Rev(6), response.Header.Revision);
        Assert.Equal(["dir", "dis"], Bytes.Names(await s.RangeAllAsync(), s));
    }

    [Fact]
    public async Task DeletedKeyIsRecreatedWithAFreshCreateRevisionAndVersionOne()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");
        await s.PutAsync("a", "2");
        await s.Client.DeleteAsync(s.Key("a"));

        await s.PutAsync("a", "3");

        var kv = Assert.Single((await s.GetAsync("a")).Kvs);
        Assert.Equal((s.Rev(4), s.Rev(4), 1L), (kv.CreateRevision, kv.ModRevision, kv.Version));
    }

    [Fact]
    public async Task DeleteOfAnEmptyRangeDoesNotBumpTheRevision()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");

        var delete = await s.Client.DeleteAsync(new DeleteRangeRequest { Key = s.K("b"), RangeEnd = s.K("z") });

        Assert.Equal(0, delete.Deleted);
        Assert.Equal(s.Rev(1), delete.Header.Revision);
    }
}

public sealed class DeleteScenariosOnEtcd(EtcdFixture fixture) : DeleteScenarios(fixture), IClassFixture<EtcdFixture>;

[Collection(TargetCollection.Name)]
public sealed class DeleteScenariosOnTarget(TargetFixture fixture) : DeleteScenarios(fixture);
