using System.Diagnostics;
using Xunit.Abstractions;
using EtcdOrleans.Contracts;

namespace EtcdOrleans.Grains.Tests;

/// <summary>Killing the silo that hosts the leader: the others elect a new leader and no acknowledged write is lost.</summary>
public sealed class FailoverTests(ThreeSiloCluster fixture, ITestOutputHelper output) : IClassFixture<ThreeSiloCluster>
{
    [Fact]
    public async Task KillingTheLeadersSilo_LosesNoAcknowledgedWrite_AndWritesResume()
    {
        var kv = fixture.Kv;
        var acknowledged = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            await kv.PutAsync($"/failover/{i:D3}", "before");
            acknowledged.Add($"/failover/{i:D3}");
        }

        var statuses = await Task.WhenAll(Enumerable.Range(1, ThreeSiloCluster.Replicas)
            .Select(r => fixture.Cluster.Client.GetGrain<IRaftReplicaGrain>(r).GetStatusAsync()));
        Assert.Equal(ThreeSiloCluster.Replicas, statuses.Select(s => s.Silo).Distinct().Count());
        var leader = statuses.Single(s => s.ReplicaId == s.Leader);
        var leaderSilo = fixture.Cluster.Silos.Single(s => s.SiloAddress.ToString() == leader.Silo);

        await fixture.Cluster.KillSiloAsync(leaderSilo);

        // Writes fail or wait while the group elects a new leader, then succeed again.
        var clock = Stopwatch.StartNew();
        var resumed = false;
        for (var i = 0; clock.Elapsed < TimeSpan.FromSeconds(60) && !resumed; i++)
        {
            try
            {
                await kv.PutAsync($"/failover/after-{i:D3}", "after");
                acknowledged.Add($"/failover/after-{i:D3}");
                resumed = true;
            }
            catch (Exception e) when (e is KvErrorException or TimeoutException or OrleansException)
            {
                await Task.Delay(100);
            }
        }

        Assert.True(resumed, "writes did not resume after the leader's silo was killed");
        output.WriteLine($"writes resumed {clock.Elapsed.TotalSeconds:F1} s after the leader's silo was killed");
        var newLeader = await fixture.Cluster.Client.GetGrain<IRaftReplicaGrain>((long)kv.Router.Leader).GetStatusAsync();
        Assert.NotEqual(leader.Silo, newLeader.Silo);
        Assert.True(newLeader.Term > leader.Term);

        var read = await kv.GetPrefixAsync("/failover/");
        var keys = read.Kvs.Select(k => k.Key.ToStringUtf8()).ToHashSet();
        Assert.All(acknowledged, key => Assert.Contains(key, keys));
    }
}
