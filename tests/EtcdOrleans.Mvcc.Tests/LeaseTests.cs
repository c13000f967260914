using EtcdOrleans.Mvcc;
using static EtcdOrleans.Mvcc.Tests.TestHelpers;

namespace EtcdOrleans.Mvcc.Tests;

/// <summary>Lease grant, attach, detach and revoke in the sequencer and the store, following etcd's lessor.</summary>
public sealed class LeaseTests
{
    private static LeaseGrantResponse Grant(Sequencer s, long id, long ttl) => (LeaseGrantResponse)s.Ok(new LeaseGrantRequest(id, ttl)).Response!;

    private static string[] KeysOf(MvccStore store, long lease) => store.Leases.Find(lease)!.Keys.Select(S).ToArray();

    [Fact]
    public void GrantCreatesNoRevisionAndRaisesTheTtlToTheMinimum()
    {
        var s = new Sequencer(new MvccStore(), minLeaseTtl: 2);
        s.Put("k", "v");

        var resolution = s.Ok(new LeaseGrantRequest(5, 1));

        Assert.Equal((EffectKind.LeaseGrant, 2L, 5L, 2L), (resolution.Effect!.Kind, resolution.Effect.Revision, resolution.Effect.LeaseId, resolution.Effect.LeaseTtl));
        Assert.False(resolution.Effect.CreatesRevision);
        var response = (LeaseGrantResponse)resolution.Response!;
        Assert.Equal((5L, 2L, 2L), (response.Id, response.Ttl, response.Revision));
        Assert.Equal(2, s.Revision);
        Assert.Equal(2, Grant(s, 6, -30).Ttl);
        Assert.Equal(0 + 2, Grant(s, 7, 0).Ttl);
        Assert.Equal(LeaseLimits.MaxTtl, Grant(s, 8, LeaseLimits.MaxTtl).Ttl);
        Assert.Equal(2, s.Revision);
    }

    [Fact]
    public void GrantFailsForATooLargeTtlBeforeCheckingTheIdAndForAnIdInUse()
    {
        var s = NewSequencer(5);

        Assert.Equal(MvccError.LeaseTtlTooLarge, s.Resolve(new LeaseGrantRequest(5, LeaseLimits.MaxTtl + 1)).Error);
        Assert.Equal(MvccError.LeaseExists, s.Resolve(new LeaseGrantRequest(5, 10)).Error);
        Assert.Equal(MvccError.LeaseTtlTooLarge, s.Resolve(new LeaseGrantRequest(9, LeaseLimits.MaxTtl + 1)).Error);
        Assert.False(s.State.Leases.Exists(9));
        Assert.Equal(1, s.State.Leases.Count);
    }

    [Fact]
    public void ServerChosenIdsArePositiveAndDistinct()
    {
        var s = NewSequencer();
        var ids = Enumerable.Range(0, 200).Select(_ => Grant(s, 0, 10).Id).ToArray();

        Assert.All(ids, id => Assert.True(id > 0));
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.Equal(ids.Length, s.State.Leases.Count);
    }

    [Fact]
    public void PutsAttachAndDetachAndDeletesDetach()
    {
        var s = NewSequencer(7, 8);
        s.Put("c", "1", lease: 7);
        s.Put("a", "1", lease: 7);
        s.Put("b", "1", lease: 7);
        s.Put("d", "1", lease: 7);
        s.Put("b", "2");                 // a put without a lease detaches
        s.Put("d", "2", lease: 8);       // moves to another lease
        s.Ok(new PutRequest(B("c"), B("3")) { IgnoreLease = true });   // keeps its lease
        s.Ok(new TxnRequest([], [new PutRequest(B("e"), B("1")) { Lease = 7 }, new DeleteRangeRequest(B("a"))], []));

        Assert.Equal(["c", "e"], KeysOf(s.State, 7));
        Assert.Equal(["d"], KeysOf(s.State, 8));
    }

    [Fact]
    public void RevokeDeletesEveryAttachedKeyInKeyOrderAtOneRevision()
    {
        var s = NewSequencer(7);
        s.Put("c", "1", lease: 7);
        s.Put("a", "1", lease: 7);
        s.Put("b", "1");
        var before = s.Revision;

        var resolution = s.Ok(new LeaseRevokeRequest(7));

        var effect = resolution.Effect!;
        Assert.Equal((EffectKind.LeaseRevoke, before + 1, 7L, true), (effect.Kind, effect.Revision, effect.LeaseId, effect.CreatesRevision));
        Assert.Equal([("a", 0L), ("c", 1L)], effect.Changes.Select(c => (S(c.Key), c.Sub)).ToArray());
        Assert.All(effect.Changes, c => Assert.Equal(KeyChangeKind.Delete, c.Kind));
        Assert.Equal(before + 1, resolution.Response!.Revision);
        Assert.Equal(before + 1, s.Revision);
        Assert.Equal(["b"], Keys(s.State.Get("\0", "\0")));
        Assert.False(s.State.Leases.Exists(7));
        Assert.Equal(MvccError.LeaseNotFound, s.Resolve(new PutRequest(B("x"), B("1")) { Lease = 7 }).Error);
        Assert.Equal(MvccError.LeaseNotFound, s.Resolve(new LeaseRevokeRequest(7)).Error);
    }

    [Fact]
    public void RevokeOfALeaseWithoutKeysCreatesNoRevision()
    {
        var s = NewSequencer(7);
        s.Put("a", "1", lease: 7);
        s.Delete("a");
        var before = s.Revision;

        var resolution = s.Ok(new LeaseRevokeRequest(7));

        Assert.Equal((EffectKind.LeaseRevoke, before, false), (resolution.Effect!.Kind, resolution.Effect.Revision, resolution.Effect.CreatesRevision));
        Assert.Equal(before, resolution.Response!.Revision);
        Assert.Equal(before, s.Revision);
        Assert.False(s.State.Leases.Exists(7));
    }

    [Fact]
    public void ReplicasApplyingTheEffectsReachTheSameLeaseTableAndRangeStoresOnlyTheDeletions()
    {
        var s = NewSequencer();
        var effects = new List<Effect>();
        void Run(MvccRequest request)
        {
            if (s.Ok(request).Effect is { } effect)
            {
                effects.Add(EffectCodec.Decode(EffectCodec.Encode(effect)));
            }
        }

        Run(new LeaseGrantRequest(1, 10));
        Run(new LeaseGrantRequest(2, 20));
        Run(new PutRequest(B("a"), B("1")) { Lease = 1 });
        Run(new PutRequest(B("m"), B("1")) { Lease = 1 });
        Run(new PutRequest(B("z"), B("1")) { Lease = 2 });
        Run(new LeaseRevokeRequest(1));
        Run(new LeaseGrantRequest(3, 30));

        var replica = new MvccStore();
        var range = new MvccStore(KeyRange.Between(B("a"), B("n")));
        foreach (var effect in effects)
        {
            replica.Apply(effect);
            if (effect.CreatesRevision && effect.Revision > range.CurrentRevision + 1)
            {
                range.AdvanceTo(effect.Revision - 1);
            }

            range.Apply(effect);
        }

        Assert.Equal([(2L, 20L), (3L, 30L)], replica.Leases.All.Select(l => (l.Id, l.Ttl)).ToArray());
        Assert.Equal(["z"], KeysOf(replica, 2));
        Assert.Equal(s.Revision, replica.CurrentRevision);
        Assert.Equal(["z"], Keys(replica.Get("\0", "\0")));
        Assert.Equal(0, range.Leases.Count);
        Assert.Empty(range.Get("a", "n").Kvs);
        Assert.Equal(s.Revision, range.CurrentRevision);
    }

    [Fact]
    public void ANewLeaderReplaysPendingLeaseEffects()
    {
        var applied = new MvccStore();
        var leader = new Sequencer(applied.Clone());
        var grant = leader.Ok(new LeaseGrantRequest(4, 10)).Effect!;
        var put = leader.Ok(new PutRequest(B("k"), B("v")) { Lease = 4 }).Effect!;

        var next = Sequencer.FromApplied(applied.Clone(), [grant, put]);

        Assert.Equal(["k"], KeysOf(next.State, 4));
        Assert.Equal(MvccError.LeaseExists, next.Resolve(new LeaseGrantRequest(4, 10)).Error);
        var revoke = next.Ok(new LeaseRevokeRequest(4)).Effect!;
        Assert.Equal(3, revoke.Revision);
    }

    [Fact]
    public void ACheckpointKeepsTheLeaseTableAndReattachesKeys()
    {
        var s = NewSequencer(11, 12, 13);
        s.Put("a", "1", lease: 11);
        s.Put("b", "1", lease: 11);
        s.Put("b", "2", lease: 12);
        s.Put("c", "1", lease: 13);
        s.Delete("c");

        using var stream = new MemoryStream();
        s.State.WriteCheckpoint(stream);
        stream.Position = 0;
        var copy = MvccStore.ReadCheckpoint(stream);

        Assert.Equal([(11L, 60L), (12L, 60L), (13L, 60L)], copy.Leases.All.Select(l => (l.Id, l.Ttl)).ToArray());
        Assert.Equal(["a"], KeysOf(copy, 11));
        Assert.Equal(["b"], KeysOf(copy, 12));
        Assert.Empty(KeysOf(copy, 13));
        var resumed = new Sequencer(copy);
        Assert.Equal(s.Revision + 1, resumed.Ok(new LeaseRevokeRequest(11)).Effect!.Revision);
    }

    [Fact]
    public void ACloneHasItsOwnLeaseTable()
    {
        var store = new MvccStore();
        var s = new Sequencer(store.Clone());
        store.Apply(s.Ok(new LeaseGrantRequest(3, 10)).Effect!);
        store.Apply(s.Ok(new PutRequest(B("k"), B("v")) { Lease = 3 }).Effect!);

        var clone = store.Clone();
        clone.Apply(Effect.LeaseRevoke(3, 3, [KeyChange.Delete(B("k"), 0)]));

        Assert.False(clone.Leases.Exists(3));
        Assert.Equal(["k"], KeysOf(store, 3));
    }

    [Theory]
    [InlineData(10, 100, 2)]
    [InlineData(5, 100, 1)]
    [InlineData(11, 100, 2)]
    [InlineData(10, 1000, 15)]
    public void TheMinimumTtlIsEtcds(int electionTicks, int tickMilliseconds, long expected)
        => Assert.Equal(expected, LeaseLimits.MinTtl(electionTicks, TimeSpan.FromMilliseconds(tickMilliseconds)));

    [Fact]
    public void LeaseEffectsRoundTripThroughTheCodec()
    {
        Effect[] effects =
        [
            Effect.LeaseGrant(42, 0x7fff_ffff_ffff_fff0, LeaseLimits.MaxTtl),
            Effect.LeaseGrant(1, -5, 2),
            Effect.LeaseRevoke(9, 77, []),
            Effect.LeaseRevoke(10, 77, [KeyChange.Delete(B("a"), 0), KeyChange.Delete(B("b"), 1)]),
        ];

        foreach (var effect in effects)
        {
            var decoded = EffectCodec.Decode(EffectCodec.Encode(effect));
            Assert.Equal((effect.Kind, effect.Revision, effect.LeaseId, effect.LeaseTtl, effect.CreatesRevision),
                (decoded.Kind, decoded.Revision, decoded.LeaseId, decoded.LeaseTtl, decoded.CreatesRevision));
            Assert.Equal(effect.Changes.Select(c => (S(c.Key), c.Sub, c.Kind)), decoded.Changes.Select(c => (S(c.Key), c.Sub, c.Kind)));
        }
    }

    [Fact]
    public void ARevokeEffectOnlyDeletes() =>
        Assert.Throws<ArgumentException>(() => Effect.LeaseRevoke(5, 1, [KeyChange.Put(B("a"), B("v"), 1, 5, 1, 0)]));
}
