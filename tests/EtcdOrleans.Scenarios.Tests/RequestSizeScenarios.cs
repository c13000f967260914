using EtcdOrleans.Scenarios.Tests.Support;
using EtcdOrleans.Scenarios.Tests.Targets;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace EtcdOrleans.Scenarios.Tests;

/// <summary>
/// etcd's request size limits with its defaults: a proposal (a write request with etcd's small internal header)
/// may have at most 1.5 MiB (--max-request-bytes), and the gRPC server reads messages of at most that plus 512 KiB.
/// Reads are not limited: a response may be larger than any request could be.
/// </summary>
public abstract class RequestSizeScenarios(EtcdTargetFixture fixture)
{
    private const int MaxRequestBytes = 3 * 512 * 1024;
    private const int MaxReceiveBytes = MaxRequestBytes + (512 * 1024);
    private const string TooLarge = "etcdserver: request is too large";

    [Fact]
    public async Task AValueJustUnderTheLimitIsStoredAndReadBackWhole()
    {
        var s = await fixture.BeginAsync();
        var value = Filler(MaxRequestBytes - 1024, seed: 1);

        var put = await s.Client.PutAsync(new PutRequest { Key = s.K("big"), Value = value });

        Assert.Equal(s.Rev(1), put.Header.Revision);
        var kv = Assert.Single((await s.GetAsync("big")).Kvs);
        Assert.Equal(value, kv.Value);
    }

    [Theory]
    [InlineData(MaxRequestBytes)]
    [InlineData(MaxRequestBytes + 1024)]
    [InlineData(MaxReceiveBytes - 1024)]
    public async Task AValueOverTheLimitIsTooLargeAndChangesNothing(int size)
    {
        var s = await fixture.BeginAsync();

        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, TooLarge,
            () => s.Client.PutAsync(new PutRequest { Key = s.K("big"), Value = Filler(size, seed: 2) }));

        Assert.Equal(s.Baseline, await s.CurrentRevisionAsync());
        Assert.Empty((await s.GetAsync("big")).Kvs);
    }

    [Fact]
    public async Task AMessageOverTheGrpcLimitIsRefusedByTheTransport()
    {
        var s = await fixture.BeginAsync();
        var request = new PutRequest { Key = s.K("huge"), Value = Filler(3 * 1024 * 1024, seed: 3) };

        await RpcAssert.FailsAsync(StatusCode.ResourceExhausted,
            $"grpc: received message larger than max ({request.CalculateSize()} vs. {MaxReceiveBytes})",
            () => s.Client.PutAsync(request));

        Assert.Equal(s.Baseline, await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task TheLimitAppliesToAWholeTxnNotToEachPut()
    {
        var s = await fixture.BeginAsync();
        var half = Filler(MaxRequestBytes / 2, seed: 4);

        await RpcAssert.FailsAsync(StatusCode.InvalidArgument, TooLarge, () => s.Client.TransactionAsync(Ops.Txn([],
            [new RequestOp { RequestPut = new PutRequest { Key = s.K("x"), Value = half } }, new RequestOp { RequestPut = new PutRequest { Key = s.K("y"), Value = half } }])));
        Assert.Equal(s.Baseline, await s.CurrentRevisionAsync());
    }

    [Fact]
    public async Task AResponseMayBeLargerThanAnyRequest()
    {
        var s = await fixture.BeginAsync();
        var values = Enumerable.Range(0, 3).Select(i => Filler(MaxRequestBytes - 4096, seed: 10 + i)).ToArray();
        for (var i = 0; i < values.Length; i++)
        {
            await s.Client.PutAsync(new PutRequest { Key = s.K($"v{i}"), Value = values[i] });
        }

        var all = await s.RangeAllAsync();

        Assert.Equal(values, all.Kvs.Select(kv => kv.Value));
        Assert.True(all.CalculateSize() > MaxReceiveBytes);
    }

    [Fact]
    public async Task AResponseOfMoreThanAHundredMebibytesComesWhole()
    {
        // Larger than any one message between Orleans silos may be (100 MB): the answer must still come whole.
        var s = await fixture.BeginAsync();
        var values = Enumerable.Range(0, 110).Select(i => Filler(1024 * 1024, seed: 100 + i)).ToArray();
        for (var i = 0; i < values.Length; i++)
        {
            await s.Client.PutAsync(new PutRequest { Key = s.K($"m{i:D3}"), Value = values[i] });
        }

        using var client = EtcdClients.Create(s.Target.Endpoint, maxReceiveBytes: 256 * 1024 * 1024);
        var all = await client.GetAsync(new RangeRequest { Key = s.PrefixBytes, RangeEnd = s.PrefixEnd });

        Assert.Equal(values.Length, all.Count);
        Assert.Equal(values, all.Kvs.Select(kv => kv.Value));
        Assert.True(all.CalculateSize() > 110 * 1024 * 1024);
    }

    [Fact]
    public async Task ADeleteOfMoreThanAHundredMebibytesInOneRevisionHoldsUpNoWrite()
    {
        // One revision whose events (with previous values, as watches carry them) exceed any one message, while a watch
        // elsewhere is open: the writes after it are answered as usual, each once, at the next revisions, and the
        // watch sees only its own key. A watch of the deleted keys (without prev_kv) gets every put, then the whole
        // delete in one response, in key order.
        var s = await fixture.BeginAsync();
        await using var watch = new WatchStream(s.Target.Endpoint);
        await watch.WatchAsync(s.K("after/2"));
        await using var bigWatch = new WatchStream(s.Target.Endpoint);
        await bigWatch.WatchAsync(s.K("big/"), Bytes.PrefixEnd(s.K("big/")));
        for (var i = 0; i < 110; i++)
        {
            await s.Client.PutAsync(new PutRequest { Key = s.K($"big/{i:D3}"), Value = Filler(1024 * 1024, seed: 300 + i) });
        }

        var delete = await s.Client.DeleteAsync(new DeleteRangeRequest { Key = s.K("big/"), RangeEnd = Bytes.PrefixEnd(s.K("big/")) });
        var first = await s.PutAsync("after/1", "x");
        var second = await s.PutAsync("after/2", "y");

        Assert.Equal((110L, s.Rev(111)), (delete.Deleted, delete.Header.Revision));
        Assert.Equal((s.Rev(112), s.Rev(113)), (first.Header.Revision, second.Header.Revision));
        Assert.Equal(2, (await s.RangeAllAsync()).Count);
        var seen = Assert.Single((await watch.EventsAsync(1)).SelectMany(r => r.Events));
        Assert.Equal((s.Key("after/2"), s.Rev(113)), (seen.Kv.Key.ToStringUtf8(), seen.Kv.ModRevision));

        var responses = await bigWatch.EventsAsync(220);
        Assert.Equal(Enumerable.Range(1, 111).Select(i => s.Rev(i)), responses.Select(r => r.Events[0].Kv.ModRevision));
        var deleted = responses[^1].Events;
        Assert.Equal(Enumerable.Range(0, 110).Select(i => s.Key($"big/{i:D3}")), deleted.Select(e => e.Kv.Key.ToStringUtf8()));
        Assert.All(deleted, e => Assert.Equal((Mvccpb.Event.Types.EventType.Delete, (Mvccpb.KeyValue?)null), (e.Type, e.PrevKv)));
        await bigWatch.AssertQuietAsync();
    }

    /// <summary>Incompressible-looking bytes, so no layer can shrink them.</summary>
    private static ByteString Filler(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return UnsafeByteOperations.UnsafeWrap(bytes);
    }
}

public sealed class RequestSizeScenariosOnEtcd(EtcdFixture fixture) : RequestSizeScenarios(fixture), IClassFixture<EtcdFixture>;

[Collection(TargetCollection.Name)]
public sealed class RequestSizeScenariosOnTarget(TargetFixture fixture) : RequestSizeScenarios(fixture);
