using System.Globalization;
using EtcdOrleans.Scenarios.Tests.Support;
using EtcdOrleans.Scenarios.Tests.Targets;
using Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;

namespace EtcdOrleans.Scenarios.Tests;

/// <summary>
/// The Lease service: grant (server-chosen and client-chosen ids, minimum and maximum TTL), revoke (keys deleted in one
/// revision, none without keys), keep-alive streams, TimeToLive, Leases, expiry, and etcdctl's lease commands.
/// TTLs are long (300 s) except in the one expiry scenario, which waits for etcd's minimum TTL of 2 s.
/// </summary>
public abstract class LeaseScenarios(EtcdTargetFixture fixture)
{
    private const long LongTtl = 300;

    /// <summary>An id no other scenario of this run uses (the target may be shared by every scenario class).</summary>
    private static long UniqueLeaseId() => Random.Shared.NextInt64(1L << 40, 1L << 62);

    [Fact]
    public async Task GrantChoosesAnIdRaisesTheTtlToTheMinimumAndCreatesNoRevision()
    {
        var s = await fixture.BeginAsync();

        var grant = await s.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = 1 });

        Assert.True(grant.ID > 0);
        Assert.Equal(2, grant.TTL);
        Assert.Equal("", grant.Error);
        Assert.Equal(s.Baseline, grant.Header.Revision);
        Assert.NotEqual(0UL, grant.Header.ClusterId);
        Assert.NotEqual(0UL, grant.Header.MemberId);
        var ttl = await s.Client.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = grant.ID });
        Assert.Equal((grant.ID, 2L), (ttl.ID, ttl.GrantedTTL));
        Assert.InRange(ttl.TTL, 0, 2);

        var revoke = await s.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = grant.ID });
        Assert.Equal(s.Baseline, revoke.Header.Revision);
        Assert.Equal(s.Baseline, await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task GrantWithAnIdInUseFailsAndATooLargeTtlFailsFirst()
    {
        var s = await fixture.BeginAsync();
        var id = UniqueLeaseId();

        var grant = await s.Client.LeaseGrantAsync(new LeaseGrantRequest { ID = id, TTL = LongTtl });

        Assert.Equal((id, LongTtl), (grant.ID, grant.TTL));
        await RpcAssert.FailsAsync(StatusCode.FailedPrecondition, "etcdserver: lease already exists",
            () => s.Client.LeaseGrantAsync(new LeaseGrantRequest { ID = id, TTL = LongTtl }));
        await RpcAssert.FailsAsync(StatusCode.OutOfRange, "etcdserver: too large lease TTL",
            () => s.Client.LeaseGrantAsync(new LeaseGrantRequest { ID = id, TTL = 9_000_000_001 }));
        await RpcAssert.FailsAsync(StatusCode.OutOfRange, "etcdserver: too large lease TTL",
            () => s.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = 9_000_000_001 }));
        var largest = await s.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = 9_000_000_000 });
        Assert.Equal(9_000_000_000, largest.TTL);

        await s.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = id });
        await s.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = largest.ID });
        Assert.Equal(s.Baseline, await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task RevokeDeletesEveryAttachedKeyInOneRevision()
    {
        var s = await fixture.BeginAsync();
        var lease = await s.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = LongTtl });
        await s.PutAsync("c", "1", lease: lease.ID);
        await s.PutAsync("a", "1", lease: lease.ID);
        await s.PutAsync("b", "1", lease: lease.ID);
        await s.PutAsync("b", "2");   // detached again
        await s.PutAsync("d", "1");

        var revoke = await s.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease.ID });

        Assert.Equal(s.Rev(6), revoke.Header.Revision);
        Assert.Equal(s.Rev(6), await s.CurrentRevisionAsync());
        Assert.Equal(["b", "d"], Bytes.Names(await s.RangeAllAsync(), s));
        var deletedAt = await s.RangeAllAsync(r => r.Revision = s.Rev(5));
        Assert.Equal(["a", "b", "c", "d"], Bytes.Names(deletedAt, s));
        var ttl = await s.Client.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = lease.ID });
        Assert.Equal(-1, ttl.TTL);
        await RpcAssert.FailsAsync(StatusCode.NotFound, "etcdserver: requested lease not found",
            () => s.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease.ID }));
        await RpcAssert.FailsAsync(StatusCode.NotFound, "etcdserver: requested lease not found",
            () => s.PutAsync("e", "1", lease: lease.ID));
        Assert.Equal(s.Rev(6), await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task RevokeOfALeaseWhoseKeysWereDeletedCreatesNoRevision()
    {
        var s = await fixture.BeginAsync();
        var lease = await s.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = LongTtl });
        await s.PutAsync("a", "1", lease: lease.ID);
        await s.Client.DeleteAsync(new DeleteRangeRequest { Key = s.K("a") });

        var revoke = await s.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease.ID });

        Assert.Equal(s.Rev(2), revoke.Header.Revision);
        Assert.Equal(s.Rev(2), await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task TimeToLiveReportsTtlsAndKeysAndMinusOneForAnUnknownLease()
    {
        var s = await fixture.BeginAsync();
        var lease = await s.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = LongTtl });
        await s.PutAsync("b", "1", lease: lease.ID);
        await s.PutAsync("a", "1", lease: lease.ID);

        var withKeys = await s.Client.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = lease.ID, Keys = true });
        var withoutKeys = await s.Client.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = lease.ID });
        var unknown = await s.Client.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = UniqueLeaseId(), Keys = true });

        Assert.Equal((lease.ID, LongTtl), (withKeys.ID, withKeys.GrantedTTL));
        Assert.InRange(withKeys.TTL, LongTtl - 5, LongTtl);
        Assert.Equal([s.Key("a"), s.Key("b")], withKeys.Keys.Select(k => k.ToStringUtf8()).Order(StringComparer.Ordinal));
        Assert.Empty(withoutKeys.Keys);
        Assert.Equal(s.Rev(2), withKeys.Header.Revision);
        Assert.Equal((-1L, 0L, 0), (unknown.TTL, unknown.GrantedTTL, unknown.Keys.Count));
        Assert.Equal(s.Rev(2), unknown.Header.Revision);
        await s.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease.ID });
    }

    [Fact]
    public async Task KeepAliveAnswersEachRequestOnTheStreamWithTheGrantedTtlOrZero()
    {
        var s = await fixture.BeginAsync();
        var lease = await s.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = LongTtl });
        var unknownId = UniqueLeaseId();
        using var channel = GrpcChannel.ForAddress(s.Target.Endpoint);
        using var call = new Lease.LeaseClient(channel).LeaseKeepAlive();

        var responses = new List<LeaseKeepAliveResponse>();
        foreach (var id in new[] { lease.ID, unknownId, lease.ID })
        {
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = id });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            responses.Add(call.ResponseStream.Current);
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal([(lease.ID, LongTtl), (unknownId, 0L), (lease.ID, LongTtl)], responses.Select(r => (r.ID, r.TTL)));
        Assert.All(responses, r => Assert.Equal(s.Baseline, r.Header.Revision));
        Assert.All(responses, r => Assert.NotEqual(0UL, r.Header.ClusterId));
        await s.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease.ID });
    }

    [Fact]
    public async Task LeasesListsGrantedLeasesUntilTheyAreRevoked()
    {
        var s = await fixture.BeginAsync();
        var first = await s.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = LongTtl });
        var second = await s.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = LongTtl });

        var listed = await s.Client.LeaseLeasesAsync(new LeaseLeasesRequest());
        await s.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = first.ID });
        var after = await s.Client.LeaseLeasesAsync(new LeaseLeasesRequest());

        Assert.Contains(first.ID, listed.Leases.Select(l => l.ID));
        Assert.Contains(second.ID, listed.Leases.Select(l => l.ID));
        Assert.Equal(s.Baseline, listed.Header.Revision);
        Assert.DoesNotContain(first.ID, after.Leases.Select(l => l.ID));
        Assert.Contains(second.ID, after.Leases.Select(l => l.ID));
        await s.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = second.ID });
    }

    [Fact]
    public async Task AnExpiredLeaseIsRevokedWithItsKeysInOneRevision()
    {
        var s = await fixture.BeginAsync();
        var lease = await s.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = 1 });
        await s.PutAsync("a", "1", lease: lease.ID);
        await s.PutAsync("b", "1", lease: lease.ID);
        await s.PutAsync("c", "1");

        // etcd's minimum TTL is 2 s, and expired leases are looked for every 500 ms.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while ((await s.RangeAllAsync()).Count > 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(["c"], Bytes.Names(await s.RangeAllAsync(), s));
        Assert.Equal(s.Rev(4), await s.CurrentRevisionAsync());
        Assert.Equal(-1, (await s.Client.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = lease.ID })).TTL);
        await RpcAssert.FailsAsync(StatusCode.NotFound, "etcdserver: requested lease not found",
            () => s.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease.ID }));
    }

    [Fact]
    public async Task EtcdctlLeaseCommandsPrintAsEtcd()
    {
        var s = await fixture.BeginAsync();
        var etcdctl = fixture.Etcdctl;

        var grant = await etcdctl.RunAsync("lease", "grant", "300");
        var hex = grant.Stdout.Split(' ')[1];
        var id = long.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var put = await etcdctl.RunAsync("put", "--lease=" + hex, s.Key("a"), "v");
        var keepAlive = await etcdctl.RunAsync("lease", "keep-alive", "--once", hex);
        var revoke = await etcdctl.RunAsync("lease", "revoke", hex);
        var again = await etcdctl.RunAsync("lease", "revoke", hex);
        var timeToLive = await etcdctl.RunAsync("lease", "timetolive", hex);

        Assert.Equal((0, $"lease {hex} granted with TTL(300s)\n"), (grant.ExitCode, grant.Stdout));
        Assert.True(id > 0);
        Assert.Equal((0, "OK\n"), (put.ExitCode, put.Stdout));
        Assert.Equal((0, $"lease {hex} keepalived with TTL(300)\n"), (keepAlive.ExitCode, keepAlive.Stdout));
        Assert.Equal((0, $"lease {hex} revoked\n"), (revoke.ExitCode, revoke.Stdout));
        Assert.Equal((1, "Error: failed to revoke lease (etcdserver: requested lease not found)"), (again.ExitCode, again.ErrorLine));
        Assert.Equal((0, $"lease {hex} already expired\n"), (timeToLive.ExitCode, timeToLive.Stdout));
        Assert.Equal(s.Rev(2), await s.CurrentRevisionAsync());
    }
}

public sealed class LeaseScenariosOnEtcd(EtcdFixture fixture) : LeaseScenarios(fixture), IClassFixture<EtcdFixture>;

[Collection(TargetCollection.Name)]
public sealed class LeaseScenariosOnTarget(TargetFixture fixture) : LeaseScenarios(fixture);
