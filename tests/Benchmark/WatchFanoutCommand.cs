using System.Collections.Concurrent;
using System.Diagnostics;
using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace EtcdOrleans.Benchmark;

/// <summary>
/// <c>watch-fanout</c>: --keys keys, each watched by --watchers-per-key watchers, spread round-robin over --streams
/// streams (on the connections); then --put-total puts to random keys of them at --put-rate per second from
/// --put-clients clients. Reports events delivered per second (all events over the time from the first put to the last
/// event) with the put → event latency of each, and the put latency.
/// </summary>
public static class WatchFanoutCommand
{
    public static async Task<IReadOnlyList<BenchmarkStats>> RunAsync(WorkloadContext ctx)
    {
        var line = ctx.Line;
        var keyCount = line.GetPositiveInt("keys", 1000);
        var perKey = line.GetPositiveInt("watchers-per-key", 10);
        var streamCount = line.GetPositiveInt("streams", 100);
        var putTotal = line.GetPositiveInt("put-total", 10000);
        var putRate = line.GetPositiveInt("put-rate", 1000);
        var putClients = line.GetPositiveInt("put-clients", 10);
        var valSize = line.GetInt("val-size", 32);
        line.EnsureAllUsed();
        await ctx.ConnectAsync();

        var keys = Enumerable.Range(0, keyCount).Select(_ => ByteString.CopyFrom(Keys.RandomBytes(16))).ToArray();
        var watchersOfKey = new int[keyCount];
        var expectedEvents = (long)putTotal * perKey;
        var delivered = 0L;
        var latencies = new ConcurrentBag<double>();
        var putEnds = new ConcurrentDictionary<ByteString, long>[keyCount];
        for (var k = 0; k < keyCount; k++)
        {
            putEnds[k] = new();
        }

        var keyIndex = keys.Select((key, i) => (key, i)).ToDictionary(p => p.key, p => p.i);
        using var stop = new CancellationTokenSource();
        var streams = new List<AsyncDuplexStreamingCall<WatchRequest, WatchResponse>>();
        var readers = new List<Task>();
        for (var s = 0; s < streamCount; s++)
        {
            streams.Add(new Watch.WatchClient(ctx.Pool.ForClient(s)).Watch(cancellationToken: stop.Token));
        }

        // Create every watcher, pipelined per stream, and wait for all created responses.
        var created = new CountdownEvent(keyCount * perKey);
        for (var s = 0; s < streamCount; s++)
        {
            readers.Add(ReadAsync(streams[s], created, keyIndex, putEnds, latencies, () => Interlocked.Increment(ref delivered)));
        }

        var next = 0;
        for (var k = 0; k < keyCount; k++)
        {
            for (var w = 0; w < perKey; w++)
            {
                await streams[next++ % streamCount].RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = keys[k] } });
                watchersOfKey[k]++;
            }
        }

        if (!created.Wait(TimeSpan.FromSeconds(120)))
        {
            throw new InvalidOperationException($"only {keyCount * perKey - created.CurrentCount} of {keyCount * perKey} watchers were created");
        }

        // Every put writes a distinct value, so each event names its put.
        var putRecorder = new ResultRecorder(putTotal);
        var started = Stopwatch.GetTimestamp();
        var pacer = new Pacer(putRate);
        var counter = -1;
        await Task.WhenAll(Enumerable.Range(0, putClients).Select(async c =>
        {
            var kv = new KV.KVClient(ctx.Pool.ForClient(c));
            var random = new Random(c);
            for (var i = Interlocked.Increment(ref counter); i < putTotal; i = Interlocked.Increment(ref counter))
            {
                await pacer.WaitAsync(i);
                var k = random.Next(keyCount);
                var value = ByteString.CopyFromUtf8(i.ToString("D10", System.Globalization.CultureInfo.InvariantCulture).PadRight(valSize, 'x'));
                var t0 = Stopwatch.GetTimestamp();
                putEnds[k][value] = 0;
                await kv.PutAsync(new PutRequest { Key = keys[k], Value = value });
                var t1 = Stopwatch.GetTimestamp();
                putEnds[k][value] = t1;
                putRecorder.Record(i, 0, Stopwatch.GetElapsedTime(t0, t1).TotalSeconds);
            }
        }));

        var patience = Stopwatch.StartNew();
        while (Interlocked.Read(ref delivered) < expectedEvents && patience.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(10);
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var putSeconds = seconds;
        await stop.CancelAsync();
        foreach (var call in streams)
        {
            call.Dispose();
        }

        var errors = new Dictionary<string, int>();
        var missing = expectedEvents - Interlocked.Read(ref delivered);
        if (missing > 0)
        {
            errors["watch event not received"] = (int)Math.Min(int.MaxValue, missing);
        }

        putRecorder.RateLimited = true;
        return
        [
            putRecorder.ToStats(ctx.Options.ReportName("watch-fanout", "put"), 0, putSeconds),
            BenchmarkStats.Create(ctx.Options.ReportName("watch-fanout", "events"), [.. latencies], seconds, errors, new RunConditions(expectedEvents, RateLimited: true, StoppedEarly: false)),
        ];
    }

    private static async Task ReadAsync(
        AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call,
        CountdownEvent created,
        Dictionary<ByteString, int> keyIndex,
        ConcurrentDictionary<ByteString, long>[] putEnds,
        ConcurrentBag<double> latencies,
        Action deliveredOne)
    {
        try
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                var r = call.ResponseStream.Current;
                var now = Stopwatch.GetTimestamp();
                if (r.Created)
                {
                    created.Signal();
                    continue;
                }

                foreach (var e in r.Events)
                {
                    deliveredOne();
                    if (keyIndex.TryGetValue(e.Kv.Key, out var k) && putEnds[k].TryGetValue(e.Kv.Value, out var putEnd) && putEnd != 0)
                    {
                        latencies.Add(Math.Max(0, (double)(now - putEnd) / Stopwatch.Frequency));
                    }
                    else
                    {
                        // The event came before its put's answer: as fast as it gets.
                        latencies.Add(0);
                    }
                }
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
