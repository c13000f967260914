using System.Diagnostics;
using Grpc.Core;

namespace EtcdOrleans.Benchmark;

/// <summary>One client's request loop body. A worker runs one request at a time.</summary>
public interface IRequestWorker
{
    /// <summary>The report the current request is filed under (success or failure); 0 unless a workload has several.</summary>
    int CurrentReport => 0;

    /// <summary>Issues request number <paramref name="index"/> and completes when its response has arrived.</summary>
    ValueTask ExecuteAsync(long index);
}

/// <summary>
/// Runs <c>total</c> numbered requests over <c>clients</c> concurrent async workers that take the
/// next number from a shared counter (etcd's tool hands requests out through a channel; a counter
/// gives the same order without allocating). Times each request and records it by number.
/// With a time limit, workers take no new number once it has passed (requests in flight finish),
/// and the recorder notes that the run stopped early.
/// </summary>
public static class LoadRunner
{
    public static async Task<double> RunAsync(
        IReadOnlyList<IRequestWorker> workers,
        long total,
        ResultRecorder recorder,
        Progress progress,
        Pacer? pacer = null,
        TimeSpan? timeLimit = null)
    {
        long next = -1;
        var started = Stopwatch.GetTimestamp();
        var deadline = timeLimit is { } limit ? started + (long)(limit.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
        var stoppedEarly = 0;
        recorder.RateLimited = pacer is not null;
        var tasks = new Task[workers.Count];
        for (var w = 0; w < workers.Count; w++)
        {
            var worker = workers[w];
            tasks[w] = Task.Run(async () =>
            {
                while (true)
                {
                    if (Stopwatch.GetTimestamp() >= deadline)
                    {
                        Volatile.Write(ref stoppedEarly, 1);
                        return;
                    }

                    var i = Interlocked.Increment(ref next);
                    if (i >= total)
                    {
                        return;
                    }

                    if (pacer is not null)
                    {
                        await pacer.WaitAsync(i);
                    }

                    var t0 = Stopwatch.GetTimestamp();
                    try
                    {
                        await worker.ExecuteAsync(i);
                        recorder.Record(i, worker.CurrentReport, Stopwatch.GetElapsedTime(t0).TotalSeconds);
                    }
                    catch (Exception e)
                    {
                        recorder.RecordError(worker.CurrentReport, Describe(e));
                    }

                    progress.Increment();
                }
            });
        }

        await Task.WhenAll(tasks);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (Volatile.Read(ref stoppedEarly) == 1 && Interlocked.Read(ref next) < total - 1)
        {
            recorder.StoppedEarly = true;
        }

        return seconds;
    }

    /// <summary>An error as Go's grpc prints it, so error tables read like etcd's.</summary>
    public static string Describe(Exception e) => e switch
    {
        RpcException r => $"rpc error: code = {r.StatusCode} desc = {r.Status.Detail}",
        _ => e.GetType().Name + ": " + e.Message,
    };
}

/// <summary>Caps the request rate: request number i may start no sooner than i / rate seconds after the first.</summary>
public sealed class Pacer(double ratePerSecond)
{
    private readonly long _start = Stopwatch.GetTimestamp();

    public static Pacer? For(int rate) => rate > 0 ? new Pacer(rate) : null;

    public async ValueTask WaitAsync(long index)
    {
        var due = _start + (long)(index / ratePerSecond * Stopwatch.Frequency);
        var wait = due - Stopwatch.GetTimestamp();
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
        }
    }
}
