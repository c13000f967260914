using System.Diagnostics;
using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace EtcdOrleans.Benchmark;

/// <summary>
/// <c>watch-latency</c>: --streams watch streams (spread over the connections) with
/// --watchers-per-stream watchers each, all on one key; then --put-total puts to that key at
/// --put-rate per second on a separate connection. Reports put latency, and watch latency = time
/// from a put's response to each watcher's event for it.
/// </summary>
public static class WatchLatencyCommand
{
    public static async Task<IReadOnlyList<BenchmarkStats>> RunAsync(WorkloadContext ctx)
    {
        var line = ctx.Line;
        var putTotal = line.GetPositiveInt("put-total", 1000);
        var putRate = line.GetPositiveInt("put-rate", 100);
        var keySize = line.GetPositiveInt("key-size", 32);
        var valSize = line.GetInt("val-size", 32);
        var streamCount = line.GetPositiveInt("streams", 10);
        var perStream = line.GetPositiveInt("watchers-per-stream", 10);
        var prevKv = line.GetBool("prevkv");
        line.EnsureAllUsed();
        await ctx.ConnectAsync();
        var key = ByteString.CopyFrom(Keys.RandomBytes(keySize));
        var value = ByteString.CopyFrom(Keys.RandomBytes(valSize));
        var watcherCount = streamCount * perStream;
        var eventTimes = new long[watcherCount][];
        var eventCounts = new int[watcherCount];
        for (var w = 0; w < watcherCount; w++)
        {
            eventTimes[w] = new long[putTotal];
        }

        using var stop = new CancellationTokenSource();
        var streams = new List<AsyncDuplexStreamingCall<WatchRequest, WatchResponse>>();
        var readers = new List<Task>();
        var errors = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var putRecorder = new ResultRecorder(putTotal);
        var putEnds = new long[putTotal];
        var putsDone = putTotal;
        double putSeconds;
        await using (var progress = ctx.StartProgress((long)putTotal * watcherCount))
        {
            for (var s = 0; s < streamCount; s++)
            {
                var call = new Watch.WatchClient(ctx.Pool.ForClient(s)).Watch(cancellationToken: stop.Token);
                streams.Add(call);
                var ids = await CreateWatchersAsync(call, key, prevKv, perStream, s * perStream);
                readers.Add(ReadEventsAsync(call, ids, eventTimes, eventCounts, progress, errors));
            }

            var putClient = new KV.KVClient(ctx.Pool.DialExtra());
            var put = new PutRequest { Key = key, Value = value };
            var pacer = new Pacer(putRate);
            var started = Stopwatch.GetTimestamp();
            var limit = ctx.Options.TimeLimit;
            putRecorder.RateLimited = true;
            for (var i = 0; i < putTotal; i++)
            {
                if (limit is { } l && Stopwatch.GetElapsedTime(started) >= l)
                {
                    // Watchers wait for the puts that were made, not for the ones that never will be.
                    putsDone = i;
                    putRecorder.StoppedEarly = true;
                    break;
                }

                await pacer.WaitAsync(i);
                var t0 = Stopwatch.GetTimestamp();
                await putClient.PutAsync(put);
                putEnds[i] = Stopwatch.GetTimestamp();
                putRecorder.Record(i, 0, Stopwatch.GetElapsedTime(t0, putEnds[i]).TotalSeconds);
            }

            putSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var all = Task.WhenAll(readers);
            if (!await WaitForEventsAsync(eventCounts, putsDone, all, TimeSpan.FromSeconds(30)))
            {
                errors.TryAdd("gave up waiting for watch events", 1);
            }

            await stop.CancelAsync();
            try
            {
                await all;
            }
            catch (Exception)
            {
                // Readers stopped by the cancellation above.
            }
        }

        foreach (var call in streams)
        {
            call.Dispose();
        }

        var watchLatencies = new List<double>(watcherCount * putTotal);
        var missing = 0;
        for (var w = 0; w < watcherCount; w++)
        {
            for (var j = 0; j < putsDone; j++)
            {
                if (j >= eventCounts[w])
                {
                    missing++;
                    continue;
                }

                var delta = eventTimes[w][j] - putEnds[j];
                watchLatencies.Add(delta <= 0 ? 0 : (double)delta / Stopwatch.Frequency);
            }
        }

        if (missing > 0)
        {
            errors.AddOrUpdate("watch event not received", missing, (_, n) => n + missing);
        }

        var putStats = putRecorder.ToStats(ctx.Options.ReportName("watch-latency", "put"), 0, putSeconds);
        var watchStats = BenchmarkStats.Create(
            ctx.Options.ReportName("watch-latency", "watch"),
            [.. watchLatencies],
            putSeconds,
            new Dictionary<string, int>(errors),
            new RunConditions((long)putTotal * watcherCount, RateLimited: true, putRecorder.StoppedEarly));
        return [putStats, watchStats];
    }

    /// <summary>Creates the watchers of one stream one at a time; returns watch ID → global watcher index.</summary>
    private static async Task<Dictionary<long, int>> CreateWatchersAsync(
        AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call, ByteString key, bool prevKv, int count, int firstIndex)
    {
        var ids = new Dictionary<long, int>();
        for (var w = 0; w < count; w++)
        {
            await call.RequestStream.WriteAsync(new WatchRequest
            {
                CreateRequest = new WatchCreateRequest { Key = key, PrevKv = prevKv },
            });
            while (true)
            {
                if (!await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                    throw new InvalidOperationException("watch stream closed while creating watchers");
                }

                var r = call.ResponseStream.Current;
                if (r.Created)
                {
                    if (r.Canceled)
                    {
                        throw new InvalidOperationException("watch create refused: " + r.CancelReason);
                    }

                    ids[r.WatchId] = firstIndex + w;
                    break;
                }
            }
        }

        return ids;
    }

    /// <summary>Waits until every watcher has seen <paramref name="expected"/> events, or gives up after <paramref name="patience"/>.</summary>
    private static async Task<bool> WaitForEventsAsync(int[] eventCounts, int expected, Task readers, TimeSpan patience)
    {
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < patience && !readers.IsCompleted)
        {
            var all = true;
            for (var w = 0; w < eventCounts.Length && all; w++)
            {
                all = Volatile.Read(ref eventCounts[w]) >= expected;
            }

            if (all)
            {
                return true;
            }

            await Task.Delay(10);
        }

        return false;
    }

    /// <summary>Timestamps every event of one stream's watchers until the stream ends or is cancelled.</summary>
    private static async Task ReadEventsAsync(
        AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call,
        Dictionary<long, int> ids,
        long[][] eventTimes,
        int[] eventCounts,
        Progress progress,
        System.Collections.Concurrent.ConcurrentDictionary<string, int> errors)
    {
        try
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                var r = call.ResponseStream.Current;
                var now = Stopwatch.GetTimestamp();
                if (!ids.TryGetValue(r.WatchId, out var w))
                {
                    continue;
                }

                if (r.Canceled)
                {
                    errors.AddOrUpdate("watch canceled: " + r.CancelReason, 1, (_, n) => n + 1);
                    continue;
                }

                var times = eventTimes[w];
                for (var e = 0; e < r.Events.Count && eventCounts[w] < times.Length; e++)
                {
                    times[eventCounts[w]] = now;
                    Volatile.Write(ref eventCounts[w], eventCounts[w] + 1);
                    progress.Increment();
                }
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled)
        {
        }
    }
}
