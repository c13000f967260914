using EtcdOrleans.Scenarios.Tests.Support;
using EtcdOrleans.Scenarios.Tests.Targets;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace EtcdOrleans.Scenarios.Tests;

/// <summary>Put and Get of single keys: revisions, versions, prev_kv, ignore_value/ignore_lease.</summary>
public abstract class KvPutGetScenarios(EtcdTargetFixture fixture)
{
    [Fact]
    public async Task PutThenGetReturnsTheValueAtTheNextRevision()
    {
        var s = await fixture.BeginAsync();

        var put = await s.PutAsync("a", "1");
        Assert.Equal(s.Rev(1), put.Header.Revision);
        Assert.Null(put.PrevKv);
        Assert.NotEqual(0UL, put.Header.ClusterId);
        Assert.NotEqual(0UL, put.Header.MemberId);
        Assert.True(put.Header.RaftTerm >= 1);

        var get = await s.GetAsync("a");
        Assert.Equal(s.Rev(1), get.Header.Revision);
        Assert.Equal(1, get.Count);
        Assert.False(get.More);
        var kv = Assert.Single(get.Kvs);
        Assert.Equal(
            (s.Key("a"), "1", s.Rev(1), s.Rev(1), 1L, 0L),
            (kv.Key.ToStringUtf8(), kv.Value.ToStringUtf8(), kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease));
    }

    [Fact]
    public async Task GetOfAMissingKeyIsEmptyAndDoesNotChangeTheRevision()
    {
        var s = await fixture.BeginAsync();

        var get = await s.GetAsync("missing");

        Assert.Empty(get.Kvs);
        Assert.Equal(0, get.Count);
        Assert.False(get.More);
        Assert.Equal(s.Baseline, get.Header.Revision);
    }

    [Fact]
    public async Task OverwriteIncrementsVersionKeepsCreateRevisionAndMovesModRevision()
    {
        var s = await fixture.BeginAsync();

        await s.PutAsync("a", "1");
        await s.PutAsync("a", "2");
        var third = await s.PutAsync("a", "3");

        Assert.Equal(s.Rev(3), third.Header.Revision);
        var kv = Assert.Single((await s.GetAsync("a")).Kvs);
        Assert.Equal(("3", s.Rev(1), s.Rev(3), 3L), (kv.Value.ToStringUtf8(), kv.CreateRevision, kv.ModRevision, kv.Version));
    }

    [Fact]
    public async Task PutWithPrevKvReturnsThePreviousKeyValueOnlyWhenThereWasOne()
    {
        var s = await fixture.BeginAsync();

        var first = await s.PutAsync("a", "1", prevKv: true);
        var second = await s.PutAsync("a", "2", prevKv: true);

        Assert.Null(first.PrevKv);
        Assert.NotNull(second.PrevKv);
        Assert.Equal(
            (s.Key("a"), "1", s.Rev(1), s.Rev(1), 1L),
            (second.PrevKv.Key.ToStringUtf8(), second.PrevKv.Value.ToStringUtf8(), second.PrevKv.CreateRevision, second.PrevKv.ModRevision, second.PrevKv.Version));
    }

    [Fact]
    public async Task EmptyValuesAndBinaryKeysAreStoredAsGiven()
    {
        var s = await fixture.BeginAsync();
        var binaryKey = ByteString.CopyFrom([.. s.PrefixBytes.ToByteArray(), 0x00, 0xff, 0x80]);

        await s.PutAsync("empty", "");
        await s.Client.PutAsync(new PutRequest { Key = binaryKey, Value = ByteString.CopyFrom(0xfe, 0x00) });

        var empty = Assert.Single((await s.GetAsync("empty")).Kvs);
        Assert.True(empty.Value.IsEmpty);
        Assert.Equal(1, empty.Version);
        var binary = Assert.Single((await s.Client.GetAsync(new RangeRequest { Key = binaryKey })).Kvs);
        Assert.Equal(new byte[] { 0xfe, 0x00 }, binary.Value.ToByteArray());
        Assert.Equal(s.Rev(2), binary.ModRevision);
    }

    [Fact]
    public async Task GrantingALeaseDoesNotChangeTheRevisionAndAPutAttachesIt()
    {
        var s = await fixture.BeginAsync();

        var lease = await s.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = 300 });
        Assert.Equal(s.Baseline, lease.Header.Revision);
        var put = await s.PutAsync("a", "1", lease: lease.ID);

        Assert.Equal(s.Rev(1), put.Header.Revision);
        Assert.Equal(lease.ID, Assert.Single((await s.GetAsync("a")).Kvs).Lease);
        await s.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease.ID });
        Assert.Empty((await s.GetAsync("a")).Kvs);
        Assert.Equal(s.Rev(2), await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task IgnoreValueKeepsTheValueAndStillCreatesANewVersion()
    {
        var s = await fixture.BeginAsync();
        var lease = await s.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = 300 });
        await s.PutAsync("a", "keep");

        var put = await s.Client.PutAsync(new PutRequest { Key = s.K("a"), IgnoreValue = true, Lease = lease.ID, PrevKv = true });

        Assert.Equal(s.Rev(2), put.Header.Revision);
        Assert.Equal("keep", put.PrevKv.Value.ToStringUtf8());
        var kv = Assert.Single((await s.GetAsync("a")).Kvs);
        Assert.Equal(("keep", 2L, s.Rev(2), lease.ID), (kv.Value.ToStringUtf8(), kv.Version, kv.ModRevision, kv.Lease));
        await s.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease.ID });
    }

    [Fact]
    public async Task IgnoreLeaseKeepsTheLeaseAndReplacesTheValue()
    {
        var s = await fixture.BeginAsync();
        var lease = await s.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = 300 });
        await s.PutAsync("a", "1", lease: lease.ID);

        await s.Client.PutAsync(new PutRequest { Key = s.K("a"), Value = Bytes.Of("2"), IgnoreLease = true });
        var kv = Assert.Single((await s.GetAsync("a")).Kvs);
        Assert.Equal(("2", 2L, lease.ID), (kv.Value.ToStringUtf8(), kv.Version, kv.Lease));

        // A plain put (lease 0, no ignore_lease) detaches the lease.
        await s.PutAsync("a", "3");
        Assert.Equal(0L, Assert.Single((await s.GetAsync("a")).Kvs).Lease);
        await s.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease.ID });
        Assert.Equal("3", Assert.Single((await s.GetAsync("a")).Kvs).Value.ToStringUtf8());
    }

    [Fact]
    public async Task PutOfAnEmptyKeyIsRejectedBeforeAnythingChanges()
    {
        var s = await fixture.BeginAsync();

        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: key is not provided",
            () => s.Client.PutAsync(new PutRequest { Key = ByteString.Empty, Value = Bytes.Of("v") }));

        Assert.Equal(s.Baseline, await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task IgnoreValueWithAValueAndIgnoreLeaseWithALeaseAreRejected()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");

        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: value is provided",
            () => s.Client.PutAsync(new PutRequest { Key = s.K("a"), Value = Bytes.Of("2"), IgnoreValue = true }));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: lease is provided",
            () => s.Client.PutAsync(new PutRequest { Key = s.K("a"), Value = Bytes.Of("2"), Lease = 42, IgnoreLease = true }));

        // Both flags at once with both fields set: the value check comes first.
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: value is provided",
            () => s.Client.PutAsync(new PutRequest { Key = s.K("a"), Value = Bytes.Of("2"), Lease = 42, IgnoreValue = true, IgnoreLease = true }));
        Assert.Equal(s.Rev(1), await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task IgnoreValueOrIgnoreLeaseOnAMissingKeyFailsWithKeyNotFound()
    {
        var s = await fixture.BeginAsync();

        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: key not found",
            () => s.Client.PutAsync(new PutRequest { Key = s.K("missing"), IgnoreValue = true }));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: key not found",
            () => s.Client.PutAsync(new PutRequest { Key = s.K("missing"), Value = Bytes.Of("v"), IgnoreLease = true }));

        Assert.Equal(s.Baseline, await s.CurrentRevisionAsync());
        Assert.Empty((await s.GetAsync("missing")).Kvs);
    }

    [Fact]
    public async Task IgnoreValueAndIgnoreLeaseTogetherRewriteTheKeyAsItIs()
    {
        var s = await fixture.BeginAsync();
        var lease = await s.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = 300 });
        await s.PutAsync("a", "v", lease: lease.ID);

        var put = await s.Client.PutAsync(new PutRequest { Key = s.K("a"), IgnoreValue = true, IgnoreLease = true });

        Assert.Equal(s.Rev(2), put.Header.Revision);
        var kv = Assert.Single((await s.GetAsync("a")).Kvs);
        Assert.Equal(("v", lease.ID, 2L, s.Rev(1), s.Rev(2)), (kv.Value.ToStringUtf8(), kv.Lease, kv.Version, kv.CreateRevision, kv.ModRevision));
        await s.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease.ID });
    }

    [Fact]
    public async Task PutWithALeaseThatDoesNotExistFailsWithLeaseNotFound()
    {
        var s = await fixture.BeginAsync();

        await RpcAssert.FailsAsync(StatusCode.NotFound, "etcdserver: requested lease not found",
            () => s.PutAsync("a", "1", lease: 0x1234_5678));

        Assert.Equal(s.Baseline, await s.CurrentRevisionAsync());
        Assert.Empty((await s.GetAsync("a")).Kvs);
    }

    [Fact]
    public async Task PutWithARevokedLeaseFailsWithLeaseNotFound()
    {
        var s = await fixture.BeginAsync();
        var lease = await s.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = 300 });
        await s.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease.ID });

        await RpcAssert.FailsAsync(StatusCode.NotFound, "etcdserver: requested lease not found",
            () => s.PutAsync("a", "1", lease: lease.ID));
        Assert.Equal(s.Baseline, await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task PutOfTheSameValueStillCreatesANewRevisionAndVersion()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "same");

        var again = await s.PutAsync("a", "same", prevKv: true);

        Assert.Equal(s.Rev(2), again.Header.Revision);
        Assert.Equal(s.Rev(1), again.PrevKv.ModRevision);
        var kv = Assert.Single((await s.GetAsync("a")).Kvs);
        Assert.Equal((2L, s.Rev(2)), (kv.Version, kv.ModRevision));
    }

    [Fact]
    public async Task GetAtAnEarlierRevisionSeesTheValueOfThatRevision()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");
        await s.PutAsync("a", "2");
        await s.Client.DeleteAsync(s.Key("a"));
        await s.PutAsync("a", "3");

        var at1 = Assert.Single((await s.GetAsync("a", s.Rev(1))).Kvs);
        var at2 = Assert.Single((await s.GetAsync("a", s.Rev(2))).Kvs);
        var at3 = await s.GetAsync("a", s.Rev(3));
        var at4 = Assert.Single((await s.GetAsync("a", s.Rev(4))).Kvs);

        Assert.Equal(("1", 1L, s.Rev(1)), (at1.Value.ToStringUtf8(), at1.Version, at1.ModRevision));
        Assert.Equal(("2", 2L, s.Rev(2)), (at2.Value.ToStringUtf8(), at2.Version, at2.ModRevision));
        Assert.Empty(at3.Kvs);
        Assert.Equal(0, at3.Count);
        Assert.Equal(s.Rev(4), at3.Header.Revision);
        Assert.Equal(("3", 1L, s.Rev(4), s.Rev(4)), (at4.Value.ToStringUtf8(), at4.Version, at4.CreateRevision, at4.ModRevision));
    }

    [Fact]
    public async Task AFutureRevisionIsAnErrorAndANegativeOneMeansTheCurrentRevision()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");

        await RpcAssert.FailsAsync(StatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision",
            () => s.GetAsync("a", s.Rev(2)));
        var current = await s.GetAsync("a", s.Rev(1));
        var negative = await s.GetAsync("a", -5);

        Assert.Equal("1", Assert.Single(current.Kvs).Value.ToStringUtf8());
        Assert.Equal("1", Assert.Single(negative.Kvs).Value.ToStringUtf8());
        Assert.Equal(s.Rev(1), negative.Header.Revision);
    }

    [Fact]
    public async Task RangeAndDeleteOfAnEmptyKeyAreRejected()
    {
        var s = await fixture.BeginAsync();

        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: key is not provided",
            () => s.Client.GetAsync(new RangeRequest { Key = ByteString.Empty }));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: key is not provided",
            () => s.Client.GetAsync(new RangeRequest { Key = ByteString.Empty, RangeEnd = Bytes.FromKeyEnd }));
        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, "etcdserver: key is not provided",
            () => s.Client.DeleteAsync(new DeleteRangeRequest { Key = ByteString.Empty, RangeEnd = Bytes.FromKeyEnd }));
        Assert.Equal(s.Baseline, await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task SerializableGetSeesTheWriteOfASingleMember()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("a", "1");

        var get = await s.Client.GetAsync(new RangeRequest { Key = s.K("a"), Serializable = true });

        Assert.Equal(s.Rev(1), get.Header.Revision);
        Assert.Equal("1", Assert.Single(get.Kvs).Value.ToStringUtf8());
    }
}

public sealed class KvPutGetScenariosOnEtcd(EtcdFixture fixture) : KvPutGetScenarios(fixture), IClassFixture<EtcdFixture>;

[Collection(TargetCollection.Name)]
public sealed class KvPutGetScenariosOnTarget(TargetFixture fixture) : KvPutGetScenarios(fixture);
