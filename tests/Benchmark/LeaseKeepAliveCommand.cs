using System.Runtime.CompilerServices;
using EtcdOrleans.Protos.Etcdserverpb;
using Grpc.Core;

namespace EtcdOrleans.Benchmark;

/// <summary>
/// <c>lease-keepalive</c>: each client grants one lease (TTL 100 s), then the clients renew them --total
/// times. Each renewal is one short LeaseKeepAlive stream (send one request, read one response,
/// cancel), which is what etcd's tool measures through clientv3's KeepAliveOnce.
/// </summary>
public static class LeaseKeepAliveCommand
{
    public static async Task<IReadOnlyList<BenchmarkStats>> RunAsync(WorkloadContext ctx)
    {
        var total = ctx.Line.GetPositiveInt("total", 10000);
        ctx.Line.EnsureAllUsed();

        await ctx.ConnectAsync();
        var clients = new Lease.LeaseClient[ctx.Options.Clients];
        var grants = new Task<LeaseGrantResponse>[clients.Length];
        for (var i = 0; i < clients.Length; i++)
        {
            clients[i] = new Lease.LeaseClient(ctx.Pool.ForClient(i));
            grants[i] = clients[i].LeaseGrantAsync(new LeaseGrantRequest { TTL = 100 }).ResponseAsync;
        }

        await Task.WhenAll(grants);
        var workers = new IRequestWorker[clients.Length];
        for (var i = 0; i < clients.Length; i++)
        {
            workers[i] = new KeepAliveWorker(clients[i], grants[i].Result.ID);
        }

        var recorder = new ResultRecorder(total);
        var seconds = await ctx.RunAsync(workers, total, recorder);

        // Leave the cluster as found: revoke the leases (best effort).
        var revokes = new Task[clients.Length];
        for (var i = 0; i < clients.Length; i++)
        {
            revokes[i] = clients[i].LeaseRevokeAsync(new LeaseRevokeRequest { ID = grants[i].Result.ID }).ResponseAsync;
        }

        try
        {
            await Task.WhenAll(revokes);
        }
        catch (RpcException)
        {
        }

        return [recorder.ToStats(ctx.Options.ReportName("lease-keepalive"), 0, seconds)];
    }

    private sealed class KeepAliveWorker(Lease.LeaseClient client, long leaseId) : IRequestWorker
    {
        private readonly LeaseKeepAliveRequest _request = new() { ID = leaseId };

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        public async ValueTask ExecuteAsync(long index)
        {
            using var call = client.LeaseKeepAlive();
            await call.RequestStream.WriteAsync(_request);
            if (!await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                throw new InvalidOperationException("keepalive stream closed without a response");
            }

            if (call.ResponseStream.Current.TTL <= 0)
            {
                throw new InvalidOperationException("lease expired or revoked");
            }
        }
    }
}
