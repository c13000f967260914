using EtcdOrleans.Mvcc;
using static EtcdOrleans.Mvcc.Tests.TestHelpers;

namespace EtcdOrleans.Mvcc.Tests;

public sealed class CompactionTests
{
    [Fact]
    public void ReadsAtOrAfterTheCompactionRevisionAreUnchanged()
    {
        var s = NewSequencer();
        s.Put("a", "1");       // 2
        s.Put("b", "1");       // 3
        s.Put("a", "2");       // 4
        s.Delete("b");         // 5
        s.Put("c", "1");       // 6
        s.Put("a", "3");       // 7
        var store = s.State.Clone();
        var before = Enumerable.Range(4, 4).Select(rev => store.Range(All() with { Revision = rev }).Kvs.ToArray()).ToArray();

        store.Compact(5);
        Assert.Equal(5, store.CompactedRevision);
        for (var rev = 5; rev <= 7; rev++)
        {
            Assert.Equal(before[rev - 4], store.Range(All() with { Revision = rev }).Kvs);
        }

        Assert.Equal(MvccError.Compacted, Assert.Throws<MvccException>(() => store.Range(All() with { Revision = 4 })).Error);
        Assert.Equal(MvccError.FutureRevision, Assert.Throws<MvccException>(() => store.Range(All() with { Revision = 8 })).Error);

        // b was deleted at 5 <= 5: the key is gone from the index entirely.
        Assert.Equal(2, store.IndexedKeyCount);
        Assert.Equal(MvccError.Compacted, Assert.Throws<MvccException>(() => store.Compact(5)).Error);
        Assert.Equal(MvccError.Compacted, Assert.Throws<MvccException>(() => store.Compact(3)).Error);
        Assert.Equal(MvccError.FutureRevision, Assert.Throws<MvccException>(() => store.Compact(8)).Error);
    }

    [Fact]
    public void KeepsLatestVersionAtOrBelowTheRevision()
    {
        var s = NewSequencer();
        s.Put("a", "1"); // 2
        s.Put("a", "2"); // 3
        s.Put("z", "0"); // 4
        s.Put("a", "3"); // 5
        var store = s.State;
        store.Compact(4);
        var at4 = Assert.Single(store.Get("a", revision: 4).Kvs);
        Assert.Equal(("2", 3L, 2L, 2L), (S(at4.Value), at4.ModRevision, at4.Version, at4.CreateRevision));
        Assert.Equal(3, store.Get("a").Kvs[0].Version);
    }

    [Fact]
    public void DeletedAfterCompactionRevisionStaysReadable()
    {
        var s = NewSequencer();
        s.Put("a", "1"); // 2
        s.Put("x", "1"); // 3
        s.Delete("a");   // 4
        var store = s.State;
        store.Compact(3);
        Assert.Equal("1", S(store.Get("a", revision: 3).Kvs[0].Value));
        Assert.Empty(store.Get("a").Kvs);
        store.Compact(4);
        Assert.Equal(1, store.IndexedKeyCount);
    }

    [Fact]
    public void FreshStoreCanCompactAtOne()
    {
        var store = new MvccStore();
        store.Compact(1);
        Assert.Equal(1, store.CompactedRevision);
        Assert.Empty(store.Range(All()).Kvs);
    }
}
