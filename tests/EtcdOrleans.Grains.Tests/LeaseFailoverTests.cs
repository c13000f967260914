using EtcdOrleans.Contracts;
using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;

namespace EtcdOrleans.Grains.Tests;

/// <summary>
/// Killing the leader's silo: the lease table is replicated state, and the new leader, once it has applied its first
/// entry, gives every lease a fresh full TTL (etcd's Promote), so leases and their keys survive the failover.
/// </summary>
public sealed class LeaseFailoverTests(ThreeSiloCluster fixture) : IClassFixture<ThreeSiloCluster>
{
    [Fact]
    public async Task AfterTheLeadersSiloIsKilled_TheNewLeaderServesTheLeaseWithItsFullTtl()
    {
        var kv = fixture.Kv;
        var grant = LeaseGrantResponse.Parser.ParseFrom(await kv.ProposeAsync(KvOperation.LeaseGrant, new LeaseGrantRequest { TTL = 600 }));
        await kv.ProposeAsync(KvOperation.Put, new PutRequest { Key = ByteString.CopyFromUtf8("/lease-failover/a"), Value = ByteString.CopyFromUtf8("v"), Lease = grant.ID });
        var statuses = await Task.WhenAll(Enumerable.Range(1, ThreeSiloCluster.Replicas)
            .Select(r => fixture.Cluster.Client.GetGrain<IRaftReplicaGrain>(r).GetStatusAsync()));
        var leader = statuses.Single(s => s.ReplicaId == s.Leader);

        await fixture.Cluster.KillSiloAsync(fixture.Cluster.Silos.Single(s => s.SiloAddress.ToString() == leader.Silo));

        var reply = await Eventually.ValueAsync(
            async () =>
            {
                try
                {
                    var answered = await kv.Router.CallLeaderAsync(
                        (replica, budget) => replica.AsReference<ILessorGrain>().TimeToLiveAsync(new LeaseTimeToLiveRequest { ID = grant.ID, Keys = true }.ToByteArray(), budget),
                        r => r.Error is KvError.NotLeader or KvError.NoLeader ? r.LeaderHint : null,
                        DateTime.UtcNow + TimeSpan.FromSeconds(5),
                        idempotent: true);
                    return answered is { Reply.Error: KvError.None } ok ? ok : ((LeaseReply Reply, ulong Replica)?)null;
                }
                catch (Exception e) when (e is TimeoutException or OrleansException)
                {
                    return null;
                }
            },
            answered => answered is not null,
            TimeSpan.FromSeconds(60));

        Assert.NotEqual(leader.ReplicaId, reply!.Value.Replica);
        var ttl = LeaseTimeToLiveResponse.Parser.ParseFrom(reply.Value.Reply.Response);
        Assert.Equal(600, ttl.GrantedTTL);
        Assert.InRange(ttl.TTL, 595, 601);
        Assert.Equal(["/lease-failover/a"], ttl.Keys.Select(k => k.ToStringUtf8()));
    }
}
