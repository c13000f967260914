using EtcdOrleans.Contracts;
using EtcdOrleans.Grains.Replicas;
using EtcdOrleans.Raft;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace EtcdOrleans.Grains.Tests;

/// <summary>
/// A committed entry that a replica cannot apply (forged here: an Append in the leader's name carrying bytes that are
/// no effect) stops that replica for good — no deactivate/reactivate loop — and its silo's health check says which
/// replica, which index and why; the other two go on serving writes.
/// </summary>
public sealed class PoisonEntryTests(ThreeSiloCluster fixture, ITestOutputHelper output) : IClassFixture<ThreeSiloCluster>
{
    [Fact]
    public async Task AReplicaThatCannotApplyACommittedEntry_Stops_SaysWhy_AndTheOthersGoOn()
    {
        var kv = fixture.Kv;
        await kv.PutAsync("/poison/before", "v");
        var statuses = await Task.WhenAll(Enumerable.Range(1, ThreeSiloCluster.Replicas)
            .Select(r => fixture.Cluster.Client.GetGrain<IRaftReplicaGrain>(r).GetStatusAsync()));
        var leader = statuses.Single(s => s.Leader == s.ReplicaId);
        var victim = await Eventually.ValueAsync(
            () => fixture.Cluster.Client.GetGrain<IRaftReplicaGrain>((long)statuses.First(s => s.ReplicaId != leader.ReplicaId).ReplicaId).GetStatusAsync(),
            s => s.AppliedIndex == leader.CommitIndex);

        // In the leader's name and term, right after the follower's last entry, committed at once.
        var poison = new Message
        {
            Type = MessageType.Append,
            From = leader.ReplicaId,
            To = victim.ReplicaId,
            Term = leader.Term,
            Index = victim.CommitIndex,
            LogTerm = leader.Term,
            Commit = victim.CommitIndex + 1,
            Entries = [new Entry(leader.Term, victim.CommitIndex + 1, EntryType.Normal, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF })],
        };
        await fixture.Cluster.Client.GetGrain<IRaftPeerGrain>((long)victim.ReplicaId).StepAsync(RaftMessageCodec.Encode([poison]));

        var silo = (InProcessSiloHandle)fixture.Cluster.Silos.Single(s => s.SiloAddress.ToString() == victim.Silo);
        var health = silo.ServiceProvider.GetRequiredService<ReplicaHealth>();
        var reason = await Eventually.ValueAsync(() => Task.FromResult(health.HaltReason(victim.ReplicaId)), r => r is not null);
        output.WriteLine($"replica {victim.ReplicaId}: {reason}");
        Assert.Contains($"index {victim.CommitIndex + 1}", reason);
        var check = await health.CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext());
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, check.Status);

        // It stays stopped (the same activation answers "stopped"), and the others keep committing.
        var put = new KvCommand(KvOperation.Put, Google.Protobuf.MessageExtensions.ToByteArray(
            new Protos.Etcdserverpb.PutRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("/poison/x"), Value = Google.Protobuf.ByteString.CopyFromUtf8("v") }));
        var stopped = await fixture.Cluster.Client.GetGrain<IRaftReplicaGrain>((long)victim.ReplicaId).ProposeAsync([put], TimeSpan.FromSeconds(1));
        for (var i = 0; i < 5; i++)
        {
            await kv.PutAsync($"/poison/after-{i}", "v");
        }

        Assert.Equal(KvError.Stopped, Assert.Single(stopped.Outcomes).Error);
        Assert.Equal(KvError.Stopped, (await fixture.Cluster.Client.GetGrain<IRaftReplicaGrain>((long)victim.ReplicaId)
            .ReadIndexAsync(TimeSpan.FromSeconds(1))).Error);
        Assert.Equal(5, (await kv.GetPrefixAsync("/poison/after-")).Kvs.Count);
        Assert.Equal(reason, health.HaltReason(victim.ReplicaId));
    }
}
