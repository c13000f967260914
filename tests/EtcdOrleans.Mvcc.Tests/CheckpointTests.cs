using EtcdOrleans.Mvcc;
using static EtcdOrleans.Mvcc.Tests.TestHelpers;

namespace EtcdOrleans.Mvcc.Tests;

public sealed class CheckpointTests
{
    private static (Sequencer Sequencer, List<Effect> Effects) Build(int requests, int seed)
    {
        var s = NewSequencer();
        var effects = new List<Effect>();
        var random = new Random(seed);
        for (var i = 0; i < requests; i++)
        {
            var key = B("key/" + random.Next(30));
            MvccRequest request = random.Next(5) == 0 ? new DeleteRangeRequest(key) : new PutRequest(key, B("value " + i));
            if (s.Ok(request).Effect is { } effect)
            {
                effects.Add(effect);
            }

            if (i == requests / 2)
            {
                effects.Add(s.Ok(new CompactionRequest(s.Revision - 10)).Effect!);
            }
        }

        return (s, effects);
    }

    private static MvccStore RoundTrip(MvccStore store)
    {
        using var stream = new MemoryStream();
        store.WriteCheckpoint(stream);
        stream.Position = 0;
        var copy = MvccStore.ReadCheckpoint(stream);
        Assert.Equal(stream.Length, stream.Position);
        return copy;
    }

    [Fact]
    public void RoundTripPreservesEveryReadableRevisionAndHistory()
    {
        var (s, _) = Build(120, 1);
        var copy = RoundTrip(s.State);
        Assert.Equal(s.State.CurrentRevision, copy.CurrentRevision);
        Assert.Equal(s.State.CompactedRevision, copy.CompactedRevision);
        for (var rev = s.State.CompactedRevision; rev <= s.State.CurrentRevision; rev++)
        {
            Assert.Equal(s.State.Range(All() with { Revision = rev }).Kvs, copy.Range(All() with { Revision = rev }).Kvs);
        }

        var expected = s.State.History(KeyRange.All, s.State.CompactedRevision, includePrevKv: true).Events;
        var actual = copy.History(KeyRange.All, s.State.CompactedRevision, includePrevKv: true).Events;
        Assert.Equal(expected.Select(e => (e.Type, e.Revision, e.Kv, e.PrevKv)), actual.Select(e => (e.Type, e.Revision, e.Kv, e.PrevKv)));
        Assert.Equal(s.State.Hash(), copy.Hash());
    }

    [Fact]
    public void AFrozenCheckpointIsTheStoreAsItWasWhenFrozenWhateverHappensAfter()
    {
        var (s, _) = Build(120, 3);
        var before = RoundTrip(s.State);
        var frozen = s.State.Freeze();

        // Writes, deletes, a lease and a compaction after the freeze change the store but not the frozen checkpoint.
        s.Ok(new LeaseGrantRequest(77, 60));
        for (var i = 0; i < 40; i++)
        {
            s.Ok(i % 3 == 0 ? new DeleteRangeRequest(B("key/" + i)) : new PutRequest(B("key/" + i), B("after " + i)) { Lease = i % 4 == 0 ? 77 : 0 });
        }

        s.Ok(new CompactionRequest(s.Revision - 5));
        using var stream = new MemoryStream(frozen.ToArray());
        var thawed = MvccStore.ReadCheckpoint(stream);

        Assert.NotEqual(before.Hash(), s.State.Hash());
        Assert.Equal(before.Hash(), thawed.Hash());
        Assert.Equal((before.CurrentRevision, before.CompactedRevision), (thawed.CurrentRevision, thawed.CompactedRevision));
        Assert.Equal(before.Leases.All.Select(l => l.Id), thawed.Leases.All.Select(l => l.Id));
    }

    [Fact]
    public void RecoverFromCheckpointPlusLaterEffects()
    {
        var (s, effects) = Build(150, 2);
        var grain = new MvccStore(KeyRange.Between(B("key/1"), B("key/5")));
        var half = effects.Count / 2;
        foreach (var effect in effects.Take(half))
        {
            grain.Apply(effect);
        }

        var recovered = RoundTrip(grain);
        Assert.Equal(grain.OwnedRange.Start, recovered.OwnedRange.Start);
        Assert.Equal(grain.OwnedRange.End, recovered.OwnedRange.End);

        // Replaying the whole log is harmless: already-applied effects are no-ops.
        foreach (var effect in effects)
        {
            recovered.Apply(effect);
        }

        var request = new RangeRequest(B("key/1"), B("key/5"));
        Assert.Equal(s.State.Range(request).Kvs, recovered.Range(request).Kvs);
    }

    [Fact]
    public void CorruptionIsDetected()
    {
        var (s, _) = Build(40, 3);
        using var stream = new MemoryStream();
        s.State.WriteCheckpoint(stream);
        var bytes = stream.ToArray();
        bytes[bytes.Length / 2] ^= 0x40;
        Assert.ThrowsAny<InvalidDataException>(() => MvccStore.ReadCheckpoint(new MemoryStream(bytes)));
        Assert.ThrowsAny<InvalidDataException>(() => MvccStore.ReadCheckpoint(new MemoryStream(stream.ToArray()[..^7])));
        Assert.ThrowsAny<InvalidDataException>(() => MvccStore.ReadCheckpoint(new MemoryStream(B("nope, not a checkpoint"))));
    }

    [Fact]
    public void EmptyStoreRoundTrips()
    {
        var copy = RoundTrip(new MvccStore());
        Assert.Equal(1, copy.CurrentRevision);
        Assert.Equal(-1, copy.CompactedRevision);
        Assert.Same(KeyRange.All, copy.OwnedRange);
    }
}
