using EtcdOrleans.Mvcc;
using static EtcdOrleans.Mvcc.Tests.TestHelpers;

namespace EtcdOrleans.Mvcc.Tests;

public sealed class HistoryTests
{
    private static string Describe(WatchEvent e)
        => $"{e.Type} {S(e.Kv.Key)}={S(e.Kv.Value)}@{e.Revision}" + (e.PrevKv is null ? "" : $" prev={S(e.PrevKv.Value)}");

    private static Sequencer Build()
    {
        var s = NewSequencer();
        s.Put("a", "1"); // 2
        s.Put("b", "1"); // 3
        s.Ok(new TxnRequest([], [new PutRequest(B("a"), B("2")), new PutRequest(B("c"), B("1")), new DeleteRangeRequest(B("b"))], [])); // 4
        s.Put("x", "1"); // 5
        s.Delete("a");   // 6
        return s;
    }

    [Fact]
    public void EventsInRevisionOrderWithSubRevisions()
    {
        var store = Build().State;
        var page = store.History(KeyRange.All, 2);
        Assert.Equal(6, page.Through);
        Assert.Equal(
            ["Put a=1@2_0", "Put b=1@3_0", "Put a=2@4_0", "Put c=1@4_1", "Delete b=@4_2", "Put x=1@5_0", "Delete a=@6_0"],
            page.Events.Select(Describe).ToArray());
        var delete = page.Events[4].Kv;
        Assert.Equal((0L, 4L, 0L), (delete.CreateRevision, delete.ModRevision, delete.Version));
    }

    [Fact]
    public void RangeAndWindow()
    {
        var store = Build().State;
        Assert.Equal(["Put a=2@4_0", "Put c=1@4_1", "Delete b=@4_2"], store.History(KeyRange.Between(B("a"), B("d")), 4, 5).Events.Select(Describe).ToArray());
        Assert.Equal(["Put a=1@2_0", "Put a=2@4_0", "Delete a=@6_0"], store.History(KeyRange.SingleKey(B("a")), 0).Events.Select(Describe).ToArray());
        Assert.Empty(store.History(KeyRange.All, 7).Events);
        Assert.Equal(6, store.History(KeyRange.All, 7).Through);
    }

    [Fact]
    public void PrevKvIsTheValueAtThePreviousRevision()
    {
        var store = Build().State;
        var events = store.History(KeyRange.All, 4, includePrevKv: true).Events;
        Assert.Equal(
            ["Put a=2@4_0 prev=1", "Put c=1@4_1", "Delete b=@4_2 prev=1", "Put x=1@5_0", "Delete a=@6_0 prev=2"],
            events.Select(Describe).ToArray());
    }

    [Fact]
    public void PagesKeepARevisionTogether()
    {
        var store = Build().State;
        var first = store.History(KeyRange.All, 2, maxEvents: 3);
        Assert.Equal(4, first.Through);
        Assert.Equal(5, first.Events.Count);
        var second = store.History(KeyRange.All, first.Through + 1, maxEvents: 1);
        Assert.Equal(["Put x=1@5_0"], second.Events.Select(Describe).ToArray());
        Assert.Equal(5, second.Through);
    }

    [Fact]
    public void CompactedStartIsAnError()
    {
        var s = Build();
        s.Ok(new CompactionRequest(4));
        var store = s.State;
        Assert.Equal(MvccError.Compacted, Assert.Throws<MvccException>(() => store.History(KeyRange.All, 3)).Error);

        // At exactly the compaction revision the surviving puts remain; the delete of b at 4 is gone, as in etcd.
        Assert.Equal(["Put a=2@4_0", "Put c=1@4_1", "Put x=1@5_0", "Delete a=@6_0"], store.History(KeyRange.All, 4).Events.Select(Describe).ToArray());
        Assert.Null(store.History(KeyRange.All, 4, includePrevKv: true).Events[0].PrevKv);
        Assert.Equal("2", S(store.History(KeyRange.All, 6, includePrevKv: true).Events[0].PrevKv!.Value));
    }
}
