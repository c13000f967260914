using EtcdOrleans.Contracts;
using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;
using Xunit.Abstractions;

namespace EtcdOrleans.Grains.Tests;

/// <summary>
/// A leader cut off from the others while it has uncommitted entries, then deposed: the others elect a new leader,
/// write, and the old leader's tail is overwritten once it hears of them. Requests the old leader answered from its
/// speculative state — a read-only txn, a failed compare-and-set, a delete of nothing — must never come back with
/// that state: either an error, or an answer that is true of the committed history.
/// </summary>
public sealed class DeposedLeaderTests(ThreeSiloCluster fixture, ITestOutputHelper output) : IClassFixture<ThreeSiloCluster>
{
    private const string Uncommitted = "uncommitted";
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task RequestsAnsweredFromAnOverwrittenTail_NeverReturnIt()
    {
        // Several rounds, each deposing whichever replica leads then.
        for (var round = 0; round < 3; round++)
        {
            await DeposeOnceAsync($"/deposed/{round}/");
        }
    }

    private async Task DeposeOnceAsync(string prefix)
    {
        var kv = fixture.Kv;
        var x = prefix + "x";
        var w = prefix + "w";
        await kv.PutAsync(x, "committed");
        await kv.PutAsync(w, "committed");
        var lease = LeaseGrantResponse.Parser.ParseFrom(await kv.ProposeAsync(KvOperation.LeaseGrant, new LeaseGrantRequest { TTL = 600 })).ID;
        var oldLeader = await LeaderAsync(exclude: 0);
        var deposed = fixture.Cluster.Client.GetGrain<IRaftReplicaGrain>((long)oldLeader.ReplicaId);

        fixture.Links.Isolate(oldLeader.ReplicaId);
        try
        {
            // The old leader still believes it leads: it sequences these on top of effects that will never commit.
            var pendingWrites = deposed.ProposeAsync(
                [
                    Command(KvOperation.Put, new PutRequest { Key = Key(x), Value = Key(Uncommitted) }),
                    Command(KvOperation.DeleteRange, new DeleteRangeRequest { Key = Key(w) }),
                    Command(KvOperation.LeaseRevoke, new LeaseRevokeRequest { ID = lease }),
                ],
                Budget);
            var readOnlyTxn = deposed.ProposeAsync([Command(KvOperation.Txn, ReadIfValue(x, Uncommitted))], Budget);
            var failedCas = deposed.ProposeAsync([Command(KvOperation.Txn, PutIfValue(x, "committed", "cas"))], Budget);
            var deleteNothing = deposed.ProposeAsync([Command(KvOperation.DeleteRange, new DeleteRangeRequest { Key = Key(w) })], Budget);

            // An error is an answer too: "lease not found" would come from the revoke that never commits.
            var putWithLease = deposed.ProposeAsync([Command(KvOperation.Put, new PutRequest { Key = Key(prefix + "leased"), Value = Key("v"), Lease = lease })], Budget);

            // The others elect a new leader and write over the old leader's uncommitted tail (past its end: a no-op of
            // the new term and three puts).
            var (newLeader, overwrite) = await OverwriteAsync(oldLeader, [
                    Command(KvOperation.Put, new PutRequest { Key = Key(x), Value = Key("new") }),
                    Command(KvOperation.Put, new PutRequest { Key = Key(prefix + "y"), Value = Key("new") }),
                    Command(KvOperation.Put, new PutRequest { Key = Key(prefix + "z"), Value = Key("new") }),
                ]);
            Assert.All(overwrite.Outcomes, o => Assert.Equal(KvError.None, o.Error));

            fixture.Links.HealAll();
            var txnOutcome = (await readOnlyTxn).Outcomes[0];
            var casOutcome = (await failedCas).Outcomes[0];
            var deleteOutcome = (await deleteNothing).Outcomes[0];
            var writes = await pendingWrites;
            var leasedOutcome = (await putWithLease).Outcomes[0];
            Assert.NotEqual(KvError.LeaseNotFound, leasedOutcome.Error);
            output.WriteLine($"{prefix}: old leader {oldLeader.ReplicaId} (term {oldLeader.Term}), new leader {newLeader.ReplicaId} (term {newLeader.Term}); " +
                $"txn {txnOutcome.Error}, cas {casOutcome.Error}, delete {deleteOutcome.Error}, put with lease {leasedOutcome.Error}, writes {string.Join(",", writes.Outcomes.Select(o => o.Error))}");

            Assert.All(writes.Outcomes, o => Assert.NotEqual(KvError.None, o.Error));
            if (txnOutcome.Error == KvError.None)
            {
                Assert.False(TxnResponse.Parser.ParseFrom(txnOutcome.Response).Succeeded, "a read-only txn saw a value that never committed");
            }

            if (casOutcome.Error == KvError.None)
            {
                var cas = TxnResponse.Parser.ParseFrom(casOutcome.Response);
                var seen = cas.Responses.SelectMany(r => r.ResponseRange?.Kvs ?? []).Select(kv => kv.Value.ToStringUtf8());
                Assert.DoesNotContain(Uncommitted, seen);
            }

            if (deleteOutcome.Error == KvError.None)
            {
                Assert.Equal(1, DeleteRangeResponse.Parser.ParseFrom(deleteOutcome.Response).Deleted);
            }

            // The committed state never held the old leader's tail.
            var after = await kv.GetPrefixAsync(x);
            Assert.Equal("new", Assert.Single(after.Kvs).Value.ToStringUtf8());
            if (deleteOutcome.Error != KvError.None)
            {
                Assert.Single((await kv.GetPrefixAsync(w)).Kvs);
            }
        }
        finally
        {
            fixture.Links.HealAll();
        }
    }

    /// <summary>
    /// Proposes <paramref name="commands"/> at the replica that leads after <paramref name="oldLeader"/>, again while it
    /// answers that it leads nothing yet (a replica reports itself leader a moment before it sequences).
    /// </summary>
    private async Task<(ReplicaStatus Leader, ProposeReply Reply)> OverwriteAsync(ReplicaStatus oldLeader, KvCommand[] commands)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var leader = await LeaderAsync(exclude: oldLeader.ReplicaId, aboveTerm: oldLeader.Term);
            var reply = await fixture.Cluster.Client.GetGrain<IRaftReplicaGrain>((long)leader.ReplicaId).ProposeAsync(commands, Budget);
            if (reply.Outcomes.All(o => o.Error is not (KvError.NoLeader or KvError.NotLeader)) || DateTime.UtcNow > deadline)
            {
                return (leader, reply);
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits until a replica other than <paramref name="exclude"/> leads in a term above <paramref name="aboveTerm"/>.</summary>
    private async Task<ReplicaStatus> LeaderAsync(ulong exclude, ulong aboveTerm = 0)
    {
        return await Eventually.ValueAsync(
            async () =>
            {
                var statuses = await Task.WhenAll(Enumerable.Range(1, ThreeSiloCluster.Replicas)
                    .Where(r => (ulong)r != exclude)
                    .Select(r => fixture.Cluster.Client.GetGrain<IRaftReplicaGrain>(r).GetStatusAsync()));
                return statuses.FirstOrDefault(s => s.Leader == s.ReplicaId && s.Term > aboveTerm);
            },
            leader => leader is not null,
            TimeSpan.FromSeconds(60)) ?? throw new InvalidOperationException("no leader");
    }

    private static KvCommand Command(KvOperation operation, IMessage request) => new(operation, request.ToByteArray());

    private static ByteString Key(string key) => ByteString.CopyFromUtf8(key);

    /// <summary>If <paramref name="key"/> has <paramref name="value"/>, read it; else nothing. Writes nothing either way.</summary>
    private static TxnRequest ReadIfValue(string key, string value) => new()
    {
        Compare = { new Compare { Key = Key(key), Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = Key(value) } },
        Success = { new RequestOp { RequestRange = new RangeRequest { Key = Key(key) } } },
    };

    /// <summary>If <paramref name="key"/> has <paramref name="expected"/>, put <paramref name="next"/>; else read the key.</summary>
    private static TxnRequest PutIfValue(string key, string expected, string next) => new()
    {
        Compare = { new Compare { Key = Key(key), Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = Key(expected) } },
        Success = { new RequestOp { RequestPut = new PutRequest { Key = Key(key), Value = Key(next) } } },
        Failure = { new RequestOp { RequestRange = new RangeRequest { Key = Key(key) } } },
    };
}
