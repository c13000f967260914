using EtcdOrleans.Contracts;
using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;

namespace EtcdOrleans.Grains.Tests;

/// <summary>Leases through the grains of a three-silo cluster: grant, attach, revoke, renew and expiry at the leader.</summary>
public sealed class LeaseGrainTests(ThreeSiloCluster fixture) : IClassFixture<ThreeSiloCluster>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly KvTestClient _kv = fixture.Kv;

    private async Task<LeaseGrantResponse> GrantAsync(long id, long ttl) =>
        LeaseGrantResponse.Parser.ParseFrom(await _kv.ProposeAsync(KvOperation.LeaseGrant, new LeaseGrantRequest { ID = id, TTL = ttl }));

    private async Task<LeaseRevokeResponse> RevokeAsync(long id) =>
        LeaseRevokeResponse.Parser.ParseFrom(await _kv.ProposeAsync(KvOperation.LeaseRevoke, new LeaseRevokeRequest { ID = id }));

    private async Task<PutResponse> PutAsync(string key, long lease) =>
        PutResponse.Parser.ParseFrom(await _kv.ProposeAsync(KvOperation.Put, new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8("v"), Lease = lease }));

    private async Task<byte[]> CallLessorAsync(Func<ILessorGrain, TimeSpan, Task<LeaseReply>> call)
    {
        var answered = await _kv.Router.CallLeaderAsync(
            (replica, budget) => call(replica.AsReference<ILessorGrain>(), budget),
            reply => reply.Error is KvError.NotLeader or KvError.NoLeader ? reply.LeaderHint : null,
            DateTime.UtcNow + Timeout,
            idempotent: true);
        Assert.NotNull(answered);
        Assert.Equal(KvError.None, answered.Value.Reply.Error);
        return answered.Value.Reply.Response!;
    }

    private async Task<LeaseTimeToLiveResponse> TimeToLiveAsync(long id) =>
        LeaseTimeToLiveResponse.Parser.ParseFrom(await CallLessorAsync((l, budget) => l.TimeToLiveAsync(new LeaseTimeToLiveRequest { ID = id, Keys = true }.ToByteArray(), budget)));

    private async Task<LeaseKeepAliveResponse> KeepAliveAsync(long id) =>
        LeaseKeepAliveResponse.Parser.ParseFrom(await CallLessorAsync((l, budget) => l.KeepAliveAsync(id, budget)));

    [Fact]
    public async Task GrantAttachAndRevoke_DeleteTheKeysInOneRevisionOnEveryReplica()
    {
        var grant = await GrantAsync(0, 600);
        Assert.True(grant.ID > 0);
        Assert.Equal(600, grant.TTL);
        await PutAsync("/lease-revoke/b", grant.ID);
        var put = await PutAsync("/lease-revoke/a", grant.ID);

        var ttl = await TimeToLiveAsync(grant.ID);
        Assert.Equal(["/lease-revoke/a", "/lease-revoke/b"], ttl.Keys.Select(k => k.ToStringUtf8()));
        Assert.Equal(600, ttl.GrantedTTL);
        Assert.InRange(ttl.TTL, 590, 600);
        Assert.Equal(grant.ID, (await _kv.GetPrefixAsync("/lease-revoke/")).Kvs[0].Lease);

        var revoke = await RevokeAsync(grant.ID);

        Assert.Equal(put.Header.Revision + 1, revoke.Header.Revision);
        Assert.Empty((await _kv.GetPrefixAsync("/lease-revoke/")).Kvs);
        Assert.Equal(2, (await _kv.GetPrefixAsync("/lease-revoke/", revision: put.Header.Revision)).Count);
        Assert.Equal(-1, (await TimeToLiveAsync(grant.ID)).TTL);
        var error = await Assert.ThrowsAsync<KvErrorException>(() => RevokeAsync(grant.ID));
        Assert.Equal(KvError.LeaseNotFound, error.Error);

        // Every replica applied the revocation at the same revision.
        await Eventually.ValueAsync(
            async () => await Task.WhenAll(Enumerable.Range(1, ThreeSiloCluster.Replicas)
                .Select(r => fixture.Cluster.Client.GetGrain<IRaftReplicaGrain>(r).GetStatusAsync())),
            statuses => statuses.All(s => s.Revision >= revoke.Header.Revision));
    }

    [Fact]
    public async Task GrantWithAnIdInUse_AndATooLargeTtl_Fail()
    {
        var id = Random.Shared.NextInt64(1, long.MaxValue);
        await GrantAsync(id, 600);

        Assert.Equal(KvError.LeaseExists, (await Assert.ThrowsAsync<KvErrorException>(() => GrantAsync(id, 600))).Error);
        Assert.Equal(KvError.LeaseTtlTooLarge, (await Assert.ThrowsAsync<KvErrorException>(() => GrantAsync(0, 9_000_000_001))).Error);
        await RevokeAsync(id);
    }

    [Fact]
    public async Task AnExpiredLease_IsRevokedByTheLeader_AndCanNoLongerBeRenewed()
    {
        var grant = await GrantAsync(0, 1);
        Assert.Equal(2, grant.TTL);
        var put = await PutAsync("/lease-expiry/a", grant.ID);
        Assert.Equal(2, (await KeepAliveAsync(grant.ID)).TTL);

        var gone = await Eventually.ValueAsync(() => _kv.GetPrefixAsync("/lease-expiry/"), r => r.Count == 0, TimeSpan.FromSeconds(15));

        Assert.True(gone.Header.Revision > put.Header.Revision);
        Assert.Equal(0, (await KeepAliveAsync(grant.ID)).TTL);
        Assert.Equal(-1, (await TimeToLiveAsync(grant.ID)).TTL);
    }
}
