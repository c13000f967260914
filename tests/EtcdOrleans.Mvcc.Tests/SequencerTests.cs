using EtcdOrleans.Mvcc;
using static EtcdOrleans.Mvcc.Tests.TestHelpers;

namespace EtcdOrleans.Mvcc.Tests;

public sealed class SequencerTests
{
    [Fact]
    public void EachMutatingRequestCreatesExactlyOneRevision()
    {
        var s = NewSequencer();
        var put = s.Ok(new PutRequest(B("a"), B("1")));
        Assert.Equal(2, put.Effect!.Revision);
        Assert.Equal(2, put.Response!.Revision);
        Assert.Equal(EffectKind.Mutation, put.Effect.Kind);
        var change = Assert.Single(put.Effect.Changes);
        Assert.Equal((KeyChangeKind.Put, "a", "1", 2L, 1L, 0L), (change.Kind, S(change.Key), S(change.Value), change.CreateRevision, change.Version, change.Sub));
        Assert.Equal(3, s.Put("b", "2").Revision);
        Assert.Equal(4, s.Put("a", "3").Revision);
        Assert.Equal(4, s.Revision);
    }

    [Fact]
    public void DeleteRangeWithPrevKvs()
    {
        var s = NewSequencer();
        s.Put("a", "1");
        s.Put("b", "2");
        s.Put("c", "3");
        var r = s.Ok(new DeleteRangeRequest(B("a"), B("c")) { PrevKv = true });
        var d = (DeleteRangeResponse)r.Response!;
        Assert.Equal(2, d.Deleted);
        Assert.Equal(["a", "b"], d.PrevKvs.Select(kv => S(kv.Key)).ToArray());
        Assert.Equal(5, d.Revision);
        Assert.Equal([KeyChangeKind.Delete, KeyChangeKind.Delete], r.Effect!.Changes.Select(c => c.Kind).ToArray());
        Assert.Equal([0L, 1], r.Effect.Changes.Select(c => c.Sub).ToArray());
        var none = s.Ok(new DeleteRangeRequest(B("a"), B("c")));
        Assert.Null(none.Effect);
        Assert.Equal(5, none.Response!.Revision);
        Assert.Equal(0, ((DeleteRangeResponse)none.Response).Deleted);
        Assert.Empty(((DeleteRangeResponse)s.Ok(new DeleteRangeRequest(B("c"))).Response!).PrevKvs);
    }

    [Fact]
    public void PutPrevKv()
    {
        var s = NewSequencer();
        Assert.Null(((PutResponse)s.Ok(new PutRequest(B("a"), B("1")) { PrevKv = true }).Response!).PrevKv);
        var prev = ((PutResponse)s.Ok(new PutRequest(B("a"), B("2")) { PrevKv = true }).Response!).PrevKv!;
        Assert.Equal(("1", 2L), (S(prev.Value), prev.ModRevision));
        Assert.Null(((PutResponse)s.Ok(new PutRequest(B("a"), B("3"))).Response!).PrevKv);
    }

    [Fact]
    public void CompactionValidatesAndDoesNotCreateARevision()
    {
        var s = NewSequencer();
        s.Put("a", "1");
        s.Put("a", "2");
        Assert.Equal(MvccError.FutureRevision, s.Resolve(new CompactionRequest(4)).Error);
        var r = s.Ok(new CompactionRequest(3) { Physical = true });
        Assert.Equal((EffectKind.Compaction, 3L, 3L, true), (r.Effect!.Kind, r.Effect.Revision, r.Effect.CompactRevision, r.Effect.Physical));
        Assert.False(r.Effect.CreatesRevision);
        Assert.Equal(3, r.Response!.Revision);
        Assert.Equal(3, s.Revision);
        Assert.Equal(3, s.CompactedRevision);
        Assert.Equal(MvccError.Compacted, s.Resolve(new CompactionRequest(3)).Error);
        Assert.Equal(MvccError.Compacted, s.Resolve(new CompactionRequest(2)).Error);
        Assert.Equal(MvccError.Compacted, s.Resolve(new RangeRequest(B("a")) { Revision = 2 }).Error);
        Assert.Equal(4, s.Put("b", "1").Revision);
    }

    [Fact]
    public void RangeThroughTheSequencerHasNoEffect()
    {
        var s = NewSequencer();
        s.Put("a", "1");
        var r = s.Ok(new RangeRequest(B("a")));
        Assert.Null(r.Effect);
        Assert.Equal(2, r.Revision);
        Assert.Equal(MvccError.FutureRevision, s.Resolve(new RangeRequest(B("a")) { Revision = 3 }).Error);
    }

    [Fact]
    public void RangeStoresFedWithEffectsMatchTheSequencer()
    {
        var s = NewSequencer();
        var left = new MvccStore(KeyRange.Between([], B("m")));
        var right = new MvccStore(KeyRange.Between(B("m"), null));
        var random = new Random(42);
        for (var i = 0; i < 300; i++)
        {
            var key = ((char)('a' + random.Next(26))).ToString();
            MvccRequest request = random.Next(4) == 0
                ? new DeleteRangeRequest(B(key), B(((char)(key[0] + 2)).ToString()))
                : new PutRequest(B(key), B(i.ToString()));
            var r = s.Ok(request);
            if (r.Effect is { } effect)
            {
                left.Apply(effect);
                right.Apply(effect);
            }
            else
            {
                left.AdvanceTo(s.Revision);
                right.AdvanceTo(s.Revision);
            }
        }

        Assert.Equal(s.Revision, left.CurrentRevision);
        for (var rev = 1; rev <= s.Revision; rev += 7)
        {
            var request = All() with { Revision = rev };
            var expected = s.State.Range(request);
            var merged = RangeMerger.Merge(request, [left.RangePartial(request, s.Revision), right.RangePartial(request, s.Revision)]);
            Assert.Equal(expected.Kvs, merged.Kvs);
            Assert.Equal(expected.Count, merged.Count);
        }

        Assert.Equal(s.State.Hash(), right.Hash(seed: left.Hash()));
    }

    [Fact]
    public void ApplyIsIdempotentAndRejectsGaps()
    {
        var s = NewSequencer();
        var e2 = s.Ok(new PutRequest(B("a"), B("1"))).Effect!;
        var e3 = s.Ok(new PutRequest(B("a"), B("2"))).Effect!;
        var e4 = s.Ok(new PutRequest(B("b"), B("3"))).Effect!;
        var store = new MvccStore();
        Assert.True(store.Apply(e2));
        Assert.False(store.Apply(e2));
        Assert.Throws<EffectOrderException>(() => store.Apply(e4));
        Assert.True(store.Apply(e3));
        Assert.False(store.Apply(e2));
        Assert.True(store.Apply(e4));
        Assert.Equal(4, store.CurrentRevision);
        Assert.Equal(s.State.Range(All()).Kvs, store.Range(All()).Kvs);

        var compaction = s.Ok(new CompactionRequest(3)).Effect!;
        Assert.True(store.Apply(compaction));
        Assert.False(store.Apply(compaction));
        Assert.Equal(3, store.CompactedRevision);
        Assert.Throws<EffectOrderException>(() => new MvccStore().Apply(compaction));
    }

    [Fact]
    public void ResetDropsUncommittedProposals()
    {
        var s = NewSequencer();
        var committed = s.Ok(new PutRequest(B("a"), B("1"))).Effect!;
        var applied = new MvccStore();
        applied.Apply(committed);
        var pending = s.Ok(new PutRequest(B("b"), B("2"))).Effect!;
        s.Ok(new PutRequest(B("c"), B("lost")));
        Assert.Equal(4, s.Revision);

        s.Reset(applied.Clone(), [pending]);
        Assert.Equal(3, s.Revision);
        Assert.Equal(["a", "b"], Keys(s.State.Range(All())));
        var next = s.Ok(new PutRequest(B("c"), B("again"))).Effect!;
        Assert.Equal(4, next.Revision);
        Assert.Equal(2, applied.CurrentRevision);

        var rebuilt = Sequencer.FromApplied(applied.Clone(), [pending, next]);
        Assert.Equal(4, rebuilt.Revision);
        Assert.Equal(s.State.Range(All()).Kvs, rebuilt.State.Range(All()).Kvs);
    }

    [Fact]
    public void SequencerNeedsAllKeys()
    {
        Assert.Throws<ArgumentException>(() => new Sequencer(new MvccStore(KeyRange.Between(B("a"), B("b")))));
    }
}
