using System.Diagnostics;
using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace EtcdOrleans.Benchmark;

/// <summary>
/// <c>watch-hold</c>: creates --keys × --watchers-per-key idle watchers over --streams streams, prints
/// "watchers created" on stderr, and holds them for --hold-seconds (compare.sh measures the servers' memory meanwhile).
/// Reports how fast the watchers were created.
/// </summary>
public static class WatchHoldCommand
{
    public static async Task<IReadOnlyList<BenchmarkStats>> RunAsync(WorkloadContext ctx)
    {
        var line = ctx.Line;
        var keyCount = line.GetPositiveInt("keys", 1000);
        var perKey = line.GetPositiveInt("watchers-per-key", 10);
        var streamCount = line.GetPositiveInt("streams", 100);
        var hold = TimeSpan.FromSeconds(line.GetPositiveInt("hold-seconds", 15));
        line.EnsureAllUsed();
        await ctx.ConnectAsync();

        using var stop = new CancellationTokenSource();
        var streams = Enumerable.Range(0, streamCount).Select(s => new Watch.WatchClient(ctx.Pool.ForClient(s)).Watch(cancellationToken: stop.Token)).ToList();
        var total = keyCount * perKey;
        var created = new CountdownEvent(total);
        var readers = streams.Select(call => Task.Run(async () =>
        {
            try
            {
                while (await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                    if (call.ResponseStream.Current.Created)
                    {
                        created.Signal();
                    }
                }
            }
            catch (Exception e) when (e is RpcException or ObjectDisposedException or InvalidOperationException)
            {
            }
        })).ToList();

        var started = Stopwatch.GetTimestamp();
        var next = 0;
        for (var k = 0; k < keyCount; k++)
        {
            var key = ByteString.CopyFrom(Keys.RandomBytes(16));
            for (var w = 0; w < perKey; w++)
            {
                await streams[next++ % streamCount].RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = key } });
            }
        }

        var errors = new Dictionary<string, int>();
        if (!created.Wait(TimeSpan.FromSeconds(120)))
        {
            errors["watch not created"] = created.CurrentCount;
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await Console.Error.WriteLineAsync("watchers created");
        await Task.Delay(hold);
        await stop.CancelAsync();
        foreach (var call in streams)
        {
            call.Dispose();
        }

        await Task.WhenAll(readers);
        var perWatcher = seconds / total;
        return [BenchmarkStats.Create(ctx.Options.ReportName("watch-hold", "create"), Enumerable.Repeat(perWatcher, total - created.CurrentCount).ToArray(), seconds, errors, new RunConditions(total, RateLimited: false, StoppedEarly: false))];
    }
}
