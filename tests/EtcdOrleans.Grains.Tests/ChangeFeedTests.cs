using EtcdOrleans.Contracts;
using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;

namespace EtcdOrleans.Grains.Tests;

/// <summary>The leader's change feed: every revision published with its events, whatever else the same batch holds.</summary>
public sealed class ChangeFeedTests(ThreeSiloCluster fixture) : IClassFixture<ThreeSiloCluster>
{
    [Fact]
    public async Task ACompactionInTheSameBatchAsThePutsBeforeIt_LeavesTheLeaderRunning()
    {
        var kv = fixture.Kv;
        var current = (await kv.PutAsync("/feed/a", "0")).Header.Revision;
        var leader = await fixture.Cluster.Client.GetGrain<IRaftReplicaGrain>((long)kv.Router.Leader).GetStatusAsync();

        // Two puts and a compaction of the second one's revision, in one proposal call: applied in one go.
        var reply = await fixture.Cluster.Client.GetGrain<IRaftReplicaGrain>((long)leader.ReplicaId).ProposeAsync(
            [
                Command(KvOperation.Put, new PutRequest { Key = ByteString.CopyFromUtf8("/feed/a"), Value = ByteString.CopyFromUtf8("1") }),
                Command(KvOperation.Put, new PutRequest { Key = ByteString.CopyFromUtf8("/feed/a"), Value = ByteString.CopyFromUtf8("2") }),
                Command(KvOperation.Compact, new CompactionRequest { Revision = current + 2 }),
            ],
            TimeSpan.FromSeconds(10));
        Assert.All(reply.Outcomes, o => Assert.Equal(KvError.None, o.Error));

        await kv.PutAsync("/feed/b", "after");
        var after = await fixture.Cluster.Client.GetGrain<IRaftReplicaGrain>((long)leader.ReplicaId).GetStatusAsync();
        Assert.Equal((leader.ReplicaId, leader.Term), (after.Leader, after.Term));
    }

    private static KvCommand Command(KvOperation operation, IMessage request) => new(operation, request.ToByteArray());
}
