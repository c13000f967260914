using System.Diagnostics;
using System.Globalization;
using EtcdOrleans.Raft;
using EtcdOrleans.ReplicaLog;

namespace EtcdOrleans.CoreBenchmarks;

/// <summary>
/// Durable append throughput and latency of <see cref="FileReplicaLogStore"/> with 1, 16 and 256 concurrent
/// appenders, next to the physical limit measured in the same run on the same disk: a loop that writes one entry's
/// bytes and calls fdatasync. Every appender awaits its save (one entry per save) before the next, so a save's
/// latency is the time until its entry is on stable storage.
/// </summary>
/// <remarks>
/// Usage: <c>logstore [--dir PATH] [--seconds N] [--warmup N] [--size BYTES] [--appenders 1,16,256] [--check]</c>.
/// The default directory is <c>.data/logstore-bench</c> under the current directory. With <c>--check</c> the exit
/// code is 1 when a target is missed: one appender within 1.3x of the raw fdatasync latency, 256 appenders at least
/// 20x the raw fdatasync rate.
/// </remarks>
internal static class LogStoreBenchmark
{
    private const double SingleAppenderLatencyTarget = 1.3;
    private const double GroupCommitRateTarget = 20;
    private const double SliceSeconds = 0.1;

    public static async Task<int> RunAsync(string[] args)
    {
        var settings = Settings.Parse(args);
        if (settings is null)
        {
            Console.Error.WriteLine("usage: logstore [--dir PATH] [--seconds N] [--warmup N] [--size BYTES] [--appenders 1,16,256] [--check]");
            return 2;
        }

        var root = Path.GetFullPath(settings.Directory);
        Directory.CreateDirectory(root);
        Console.WriteLine($"log store benchmark: {settings.EntrySize}-byte entries, {settings.Seconds}s per run after {settings.WarmupSeconds}s warm-up");
        Console.WriteLine($"directory {root} ({DescribeDisk(root)}), {Environment.ProcessorCount} CPUs, .NET {Environment.Version}");
        Console.WriteLine();

        // The raw loop and the single appender run in alternating slices, so that load from elsewhere on the machine
        // hits both alike; the concurrent runs follow.
        var (raw, single) = await PairedRunAsync(root, settings);
        var results = new List<Result> { raw, single };
        foreach (var appenders in settings.Appenders.Where(a => a != 1))
        {
            results.Add(await StoreRunAsync(Path.Combine(root, $"store-{appenders}"), appenders, settings));
        }

        Console.WriteLine("| run | appenders | durable entries/s | avg µs | p50 µs | p99 µs | fdatasyncs/s | entries per fdatasync |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.Appenders} | {r.Rate:N0} | {r.Average:N0} | {r.P50:N0} | {r.P99:N0} | {r.SyncRate:N0} | {r.Rate / Math.Max(r.SyncRate, 1):N1} |"));
        }

        Console.WriteLine();
        var missed = false;
        {
            var ratio = single.Average / raw.Average;
            missed |= ratio > SingleAppenderLatencyTarget;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"1 appender: average latency {ratio:N2}x raw fdatasync (target <= {SingleAppenderLatencyTarget}x): {(ratio <= SingleAppenderLatencyTarget ? "met" : "MISSED")}"));
        }

        if (results.FirstOrDefault(r => r.Appenders == 256) is { } many)
        {
            var ratio = many.Rate / raw.Rate;
            missed |= ratio < GroupCommitRateTarget;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"256 appenders: {ratio:N1}x the raw fdatasync rate (target >= {GroupCommitRateTarget}x): {(ratio >= GroupCommitRateTarget ? "met" : "MISSED")}"));
        }

        TryDelete(root);
        return settings.Check && missed ? 1 : 0;
    }

    /// <summary>
    /// The physical limit (write one entry's bytes at the end of a file, fdatasync, repeat) and one appender on the
    /// store, in alternating slices of <see cref="SliceSeconds"/> for <see cref="Settings.Seconds"/> each.
    /// </summary>
    private static async Task<(Result Raw, Result Store)> PairedRunAsync(string root, Settings settings)
    {
        var path = Path.Combine(root, "raw-fdatasync");
        var directory = Path.Combine(root, "store-1");
        File.Delete(path);
        TryDelete(directory);
        var payload = new byte[settings.EntrySize];
        Random.Shared.NextBytes(payload);
        var rawLatencies = new List<long>(1 << 16);
        var storeLatencies = new List<long>(1 << 16);
        var rawSeconds = 0.0;
        var storeSeconds = 0.0;
        long storeSyncs;
        using (var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read))
        {
            var offset = 0L;
            ulong next = 1;
            var (store, _) = await FileReplicaLogStore.OpenAsync(new FileReplicaLogOptions(directory));
            await using (store)
            {
                var warmup = Math.Max(settings.WarmupSeconds / 2, 0.05);
                _ = RawSlice(handle, path, payload, ref offset, warmup, []);
                _ = await StoreSliceAsync(store, payload, () => next++, warmup, []);
                var syncsBefore = store.Counters.Syncs;
                for (var done = 0.0; done < settings.Seconds; done += SliceSeconds)
                {
                    rawSeconds += RawSlice(handle, path, payload, ref offset, SliceSeconds, rawLatencies);
                    storeSeconds += await StoreSliceAsync(store, payload, () => next++, SliceSeconds, storeLatencies);
                }

                storeSyncs = store.Counters.Syncs - syncsBefore;
            }
        }

        File.Delete(path);
        TryDelete(directory);
        return (Result.From("raw write+fdatasync", 1, rawLatencies, rawSeconds, rawLatencies.Count),
            Result.From("FileReplicaLogStore", 1, storeLatencies, storeSeconds, storeSyncs));
    }

    private static double RawSlice(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path, byte[] payload, ref long offset, double seconds, List<long> latencies)
    {
        var started = Stopwatch.GetTimestamp();
        var end = started + (long)(seconds * Stopwatch.Frequency);
        long now;
        do
        {
            var t0 = Stopwatch.GetTimestamp();
            RandomAccess.Write(handle, payload, offset);
            offset += payload.Length;
            NativeMethods.SyncData(handle, path);
            now = Stopwatch.GetTimestamp();
            latencies.Add(now - t0);
        }
        while (now < end);
        return Stopwatch.GetElapsedTime(started, now).TotalSeconds;
    }

    private static async Task<double> StoreSliceAsync(FileReplicaLogStore store, byte[] payload, Func<ulong> nextIndex, double seconds, List<long> latencies)
    {
        var started = Stopwatch.GetTimestamp();
        var end = started + (long)(seconds * Stopwatch.Frequency);
        long now;
        do
        {
            var t0 = Stopwatch.GetTimestamp();
            await store.SaveAsync(null, [Entry.Normal(1, nextIndex(), payload)]);
            now = Stopwatch.GetTimestamp();
            latencies.Add(now - t0);
        }
        while (now < end);
        return Stopwatch.GetElapsedTime(started, now).TotalSeconds;
    }

    private static async Task<Result> StoreRunAsync(string directory, int appenders, Settings settings)
    {
        TryDelete(directory);
        Result result;
        var (store, _) = await FileReplicaLogStore.OpenAsync(new FileReplicaLogOptions(directory));
        await using (store)
        {
            var data = new byte[settings.EntrySize];
            Random.Shared.NextBytes(data);
            var order = new Lock();
            ulong next = 1;
            var measuring = 0;
            var stop = 0;
            var perAppender = new List<long>[appenders];

            async Task AppendLoopAsync(int id)
            {
                var mine = perAppender[id] = new List<long>(1 << 14);
                await Task.Yield();
                while (Volatile.Read(ref stop) == 0)
                {
                    Task save;
                    var t0 = Stopwatch.GetTimestamp();
                    lock (order)
                    {
                        // Indexes are handed out in the order the saves are queued, as the Raft host does.
                        save = store.SaveAsync(null, [Entry.Normal(1, next++, data)]);
                    }

                    await save;
                    if (Volatile.Read(ref measuring) == 1)
                    {
                        mine.Add(Stopwatch.GetTimestamp() - t0);
                    }
                }
            }

            var loops = Enumerable.Range(0, appenders).Select(i => Task.Run(() => AppendLoopAsync(i))).ToArray();
            await Task.Delay(TimeSpan.FromSeconds(settings.WarmupSeconds));
            var syncsBefore = store.Counters.Syncs;
            var started = Stopwatch.GetTimestamp();
            Volatile.Write(ref measuring, 1);
            await Task.Delay(TimeSpan.FromSeconds(settings.Seconds));
            Volatile.Write(ref measuring, 0);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var syncs = store.Counters.Syncs - syncsBefore;
            Volatile.Write(ref stop, 1);
            await Task.WhenAll(loops);
            var all = perAppender.SelectMany(l => l).ToList();
            result = Result.From("FileReplicaLogStore", appenders, all, elapsed, syncs);
        }

        TryDelete(directory);
        return result;
    }

    private static string DescribeDisk(string path)
    {
        try
        {
            var drive = DriveInfo.GetDrives()
                .Where(d => path.StartsWith(d.RootDirectory.FullName, StringComparison.Ordinal))
                .MaxBy(d => d.RootDirectory.FullName.Length);
            return drive is null ? "unknown disk" : $"{drive.DriveFormat} mounted at {drive.RootDirectory.FullName}";
        }
        catch (IOException)
        {
            return "unknown disk";
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }

    private sealed record Result(string Name, int Appenders, double Rate, double Average, double P50, double P99, double SyncRate)
    {
        public static Result From(string name, int appenders, List<long> ticks, double seconds, long syncs)
        {
            ticks.Sort();
            double Micros(long t) => t * 1_000_000.0 / Stopwatch.Frequency;
            var count = Math.Max(ticks.Count, 1);
            var average = ticks.Count == 0 ? 0 : Micros((long)ticks.Average());
            var p50 = ticks.Count == 0 ? 0 : Micros(ticks[(ticks.Count - 1) / 2]);
            var p99 = ticks.Count == 0 ? 0 : Micros(ticks[(int)Math.Ceiling(0.99 * count) - 1]);
            return new Result(name, appenders, ticks.Count / seconds, average, p50, p99, syncs / seconds);
        }
    }

    private sealed record Settings(string Directory, double Seconds, double WarmupSeconds, int EntrySize, int[] Appenders, bool Check)
    {
        public static Settings? Parse(string[] args)
        {
            var settings = new Settings(Path.Combine(".data", "logstore-bench"), 5, 1, 256, [1, 16, 256], false);
            for (var i = 0; i < args.Length; i++)
            {
                var value = i + 1 < args.Length ? args[i + 1] : null;
                switch (args[i])
                {
                    case "--check":
                        settings = settings with { Check = true };
                        continue;
                    case "--dir" when value is not null:
                        settings = settings with { Directory = value };
                        break;
                    case "--seconds" when double.TryParse(value, CultureInfo.InvariantCulture, out var s) && s > 0:
                        settings = settings with { Seconds = s };
                        break;
                    case "--warmup" when double.TryParse(value, CultureInfo.InvariantCulture, out var w) && w >= 0:
                        settings = settings with { WarmupSeconds = w };
                        break;
                    case "--size" when int.TryParse(value, CultureInfo.InvariantCulture, out var b) && b >= 0:
                        settings = settings with { EntrySize = b };
                        break;
                    case "--appenders" when value is not null:
                        var counts = value.Split(',').Select(v => int.TryParse(v, CultureInfo.InvariantCulture, out var c) ? c : 0).ToArray();
                        if (counts.Any(c => c < 1))
                        {
                            return null;
                        }

                        settings = settings with { Appenders = counts };
                        break;
                    default:
                        return null;
                }

                i++;
            }

            return settings;
        }
    }
}
