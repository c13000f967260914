using EtcdOrleans.Mvcc;
using static EtcdOrleans.Mvcc.Tests.TestHelpers;

namespace EtcdOrleans.Mvcc.Tests;

public sealed class RangeTests
{
    // rev 2: a=1, 3: b=22, 4: c=333, 5: a=11 (a version 2), 6: d=4444, 7: delete c
    private static Sequencer Build()
    {
        var s = NewSequencer();
        s.Put("a", "1");
        s.Put("b", "22");
        s.Put("c", "333");
        s.Put("a", "11");
        s.Put("d", "4444");
        s.Delete("c");
        return s;
    }

    [Fact]
    public void FreshStoreIsAtRevisionOne()
    {
        var store = new MvccStore();
        Assert.Equal(1, store.CurrentRevision);
        Assert.Equal(-1, store.CompactedRevision);
        var r = store.Range(All());
        Assert.Empty(r.Kvs);
        Assert.Equal(0, r.Count);
        Assert.Equal(1, r.Revision);
        Assert.Null(store.Get(B("a")));
    }

    [Fact]
    public void SingleKeyAndRanges()
    {
        var store = Build().State;
        Assert.Equal(7, store.CurrentRevision);
        var a = Assert.Single(store.Get("a").Kvs);
        Assert.Equal(("a", "11", 2L, 5L, 2L), (S(a.Key), S(a.Value), a.CreateRevision, a.ModRevision, a.Version));
        Assert.Equal(["a", "b"], Keys(store.Get("a", "c")));
        Assert.Equal(["b", "d"], Keys(store.Get("b", "\0")));
        Assert.Equal(["a", "b", "d"], Keys(store.Range(All())));
        Assert.Empty(store.Get("c").Kvs);
        Assert.Empty(store.Get("z", "a").Kvs);
        Assert.Equal(7, store.Get("a").Revision);
    }

    [Fact]
    public void SortNoneByTargetWithLimit_SortsOnlyTheFirstKeys_AsEtcd34()
    {
        // a: version 3, b: 1, c: 2, d: 1. etcd reads the first limit + 1 keys (a, b, c) and sorts those by version.
        var s = NewSequencer();
        s.Put("a", "1");
        s.Put("a", "2");
        s.Put("a", "3");
        s.Put("b", "1");
        s.Put("c", "1");
        s.Put("c", "2");
        s.Put("d", "1");
        var store = s.State;

        var quirk = store.Range(All() with { SortOrder = SortOrder.None, SortTarget = SortTarget.Version, Limit = 2 });
        Assert.Equal(["b", "c"], Keys(quirk));
        Assert.True(quirk.More);
        Assert.Equal(4, quirk.Count);

        // An explicit order, or a revision filter, sorts the whole range.
        Assert.Equal(["b", "d"], Keys(store.Range(All() with { SortOrder = SortOrder.Ascend, SortTarget = SortTarget.Version, Limit = 2 })));
        Assert.Equal(["b", "d"], Keys(store.Range(All() with { SortTarget = SortTarget.Version, Limit = 2, MinModRevision = 1 })));
    }

    [Fact]
    public void ReadAtPastRevisionSeesThatSnapshot()
    {
        var store = Build().State;
        var r = store.Range(All() with { Revision = 4 });
        Assert.Equal(["a", "b", "c"], Keys(r));
        Assert.Equal("1", S(r.Kvs[0].Value));
        Assert.Equal(7, r.Revision);
        Assert.Equal(["a"], Keys(store.Range(All() with { Revision = 2 })));
        Assert.Empty(store.Range(All() with { Revision = 1 }).Kvs);
        Assert.Equal(["a", "b", "c", "d"], Keys(store.Range(All() with { Revision = 6 })));
        Assert.Equal(["a", "b", "d"], Keys(store.Range(All() with { Revision = -3 })));
    }

    [Fact]
    public void FutureAndCompactedRevisions()
    {
        var store = Build().State;
        Assert.Equal(MvccError.FutureRevision, Assert.Throws<MvccException>(() => store.Range(All() with { Revision = 8 })).Error);
        store.Compact(5);
        Assert.Equal(MvccError.Compacted, Assert.Throws<MvccException>(() => store.Range(All() with { Revision = 4 })).Error);
        Assert.Equal(["a", "b", "c", "d"], Keys(store.Range(All() with { Revision = 6 })));
        Assert.Equal(["a", "b", "c"], Keys(store.Range(All() with { Revision = 5 })));
        Assert.Equal("mvcc: required revision has been compacted", Assert.Throws<MvccException>(() => store.Get(B("a"), 2)).Message);
    }

    [Fact]
    public void LimitMoreAndCount()
    {
        var store = Build().State;
        var r = store.Range(All() with { Limit = 2 });
        Assert.Equal(["a", "b"], Keys(r));
        Assert.True(r.More);
        Assert.Equal(3, r.Count);
        var exact = store.Range(All() with { Limit = 3 });
        Assert.False(exact.More);
        Assert.Equal(3, exact.Kvs.Count);
        Assert.False(store.Range(All() with { Limit = 10 }).More);
        Assert.Equal(3, store.Range(All() with { Limit = -1 }).Kvs.Count);
    }

    [Fact]
    public void CountOnlyAndKeysOnly()
    {
        var store = Build().State;
        var count = store.Range(All() with { CountOnly = true, Limit = 1 });
        Assert.Empty(count.Kvs);
        Assert.Equal(3, count.Count);
        Assert.False(count.More);
        var keys = store.Range(All() with { KeysOnly = true });
        Assert.Equal(["a", "b", "d"], Keys(keys));
        Assert.All(keys.Kvs, kv => Assert.Empty(kv.Value));
        Assert.Equal(5, keys.Kvs[0].ModRevision);
        Assert.Equal("11", S(store.Get("a").Kvs[0].Value));
    }

    [Theory]
    [InlineData(SortOrder.Ascend, SortTarget.Key, "a,b,d")]
    [InlineData(SortOrder.Descend, SortTarget.Key, "d,b,a")]
    [InlineData(SortOrder.None, SortTarget.Key, "a,b,d")]
    [InlineData(SortOrder.Ascend, SortTarget.Mod, "b,a,d")]
    [InlineData(SortOrder.Descend, SortTarget.Mod, "d,a,b")]
    [InlineData(SortOrder.None, SortTarget.Mod, "b,a,d")]
    [InlineData(SortOrder.Ascend, SortTarget.Create, "a,b,d")]
    [InlineData(SortOrder.Descend, SortTarget.Create, "d,b,a")]
    [InlineData(SortOrder.Ascend, SortTarget.Version, "b,d,a")]
    [InlineData(SortOrder.Descend, SortTarget.Version, "a,b,d")]
    [InlineData(SortOrder.Ascend, SortTarget.Value, "a,b,d")]
    [InlineData(SortOrder.Descend, SortTarget.Value, "d,b,a")]
    public void SortOrderAndTarget(SortOrder order, SortTarget target, string expected)
    {
        var store = Build().State;
        Assert.Equal(expected.Split(','), Keys(store.Range(All() with { SortOrder = order, SortTarget = target })));
    }

    [Fact]
    public void SortHappensBeforeLimit()
    {
        var store = Build().State;
        var newest = store.Range(All() with { SortOrder = SortOrder.Descend, SortTarget = SortTarget.Mod, Limit = 2 });
        Assert.Equal(["d", "a"], Keys(newest));
        Assert.True(newest.More);
        Assert.Equal(3, newest.Count);
        var last = store.Range(All() with { SortOrder = SortOrder.Descend, Limit = 1 });
        Assert.Equal(["d"], Keys(last));
    }

    [Fact]
    public void KeysOnlyStillSortsByValue()
    {
        var s = NewSequencer();
        s.Put("x", "3");
        s.Put("y", "1");
        s.Put("z", "2");
        var r = s.State.Range(All() with { KeysOnly = true, SortTarget = SortTarget.Value, Limit = 2 });
        Assert.Equal(["y", "z"], Keys(r));
        Assert.All(r.Kvs, kv => Assert.Empty(kv.Value));
    }

    [Fact]
    public void RevisionFiltersPruneButDoNotChangeCount()
    {
        var store = Build().State;
        var minMod = store.Range(All() with { MinModRevision = 4 });
        Assert.Equal(["a", "d"], Keys(minMod));
        Assert.Equal(3, minMod.Count);
        Assert.Equal(["b"], Keys(store.Range(All() with { MaxModRevision = 4 })));
        Assert.Equal(["b", "d"], Keys(store.Range(All() with { MinCreateRevision = 3 })));
        Assert.Equal(["a", "b"], Keys(store.Range(All() with { MaxCreateRevision = 3 })));
        Assert.Equal(["b"], Keys(store.Range(All() with { MinCreateRevision = 3, MaxCreateRevision = 3 })));

        // more is decided after the filters
        var limited = store.Range(All() with { MinModRevision = 4, Limit = 1 });
        Assert.Equal(["a"], Keys(limited));
        Assert.True(limited.More);
        var notMore = store.Range(All() with { MaxModRevision = 4, Limit = 1 });
        Assert.False(notMore.More);
        Assert.Equal(3, notMore.Count);
    }

    [Fact]
    public void VersionsAndGenerations()
    {
        var s = NewSequencer();
        s.Put("k", "1");
        s.Put("k", "2");
        s.Delete("k");
        s.Put("k", "3");
        var kv = Assert.Single(s.State.Get("k").Kvs);
        Assert.Equal((5L, 5L, 1L), (kv.CreateRevision, kv.ModRevision, kv.Version));
        var old = Assert.Single(s.State.Get("k", revision: 3).Kvs);
        Assert.Equal((2L, 3L, 2L), (old.CreateRevision, old.ModRevision, old.Version));
        Assert.Empty(s.State.Get("k", revision: 4).Kvs);
    }

    [Fact]
    public void OwnedRangeClipsReads()
    {
        var store = new MvccStore(KeyRange.Between(B("b"), B("d")));
        var s = NewSequencer();
        s.Put("a", "1");
        s.Put("b", "2");
        s.Put("c", "3");
        s.Put("d", "4");
        var effects = new List<Effect>();
        var seq = NewSequencer();
        foreach (var key in new[] { "a", "b", "c", "d" })
        {
            effects.Add(seq.Ok(new PutRequest(B(key), B(key))).Effect!);
        }

        foreach (var e in effects)
        {
            store.Apply(e);
        }

        Assert.Equal(5, store.CurrentRevision);
        var r = store.Range(All());
        Assert.Equal(["b", "c"], Keys(r));
        Assert.Equal(2, r.Count);
        Assert.Null(store.Get(B("a")));
    }
}
