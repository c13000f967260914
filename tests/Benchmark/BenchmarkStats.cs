namespace EtcdOrleans.Benchmark;

/// <summary>
/// The figures of one report, computed the way etcd's pkg/report does: latencies of successful
/// requests only, population standard deviation, Requests/sec = successes / wall time.
/// </summary>
public sealed class BenchmarkStats
{
    /// <summary>The percentiles etcd prints, in order.</summary>
    public static readonly double[] Percentiles = [10, 25, 50, 75, 90, 95, 99, 99.9];

    private BenchmarkStats(
        string workload,
        double[] sortedLatencies,
        double totalSeconds,
        IReadOnlyDictionary<string, int> errors,
        RunConditions conditions)
    {
        Workload = workload;
        Conditions = conditions;
        SortedLatencies = sortedLatencies;
        TotalSeconds = totalSeconds;
        Errors = errors;
        var n = sortedLatencies.Length;
        if (n > 0)
        {
            var sum = 0.0;
            foreach (var l in sortedLatencies)
            {
                sum += l;
            }

            Average = sum / n;
            var dev = 0.0;
            foreach (var l in sortedLatencies)
            {
                dev += (l - Average) * (l - Average);
            }

            Stddev = Math.Sqrt(dev / n);
            Fastest = sortedLatencies[0];
            Slowest = sortedLatencies[^1];
        }

        Rps = totalSeconds > 0 ? n / totalSeconds : 0;
        PercentileValues = ComputePercentiles(sortedLatencies);
    }

    public string Workload { get; }

    /// <summary>Successful request latencies in seconds, ascending.</summary>
    public double[] SortedLatencies { get; }

    public int Count => SortedLatencies.Length;

    public double TotalSeconds { get; }

    public double Slowest { get; }

    public double Fastest { get; }

    public double Average { get; }

    public double Stddev { get; }

    public double Rps { get; }

    /// <summary>Latency at each of <see cref="Percentiles"/>, 0 when there were too few samples.</summary>
    public double[] PercentileValues { get; }

    /// <summary>Error message → occurrences.</summary>
    public IReadOnlyDictionary<string, int> Errors { get; }

    public int ErrorCount => Errors.Values.Sum();

    /// <summary>How the run was bounded: requested size, pacing, early stop.</summary>
    public RunConditions Conditions { get; }

    public static BenchmarkStats Create(
        string workload,
        double[] latencies,
        double totalSeconds,
        IReadOnlyDictionary<string, int> errors,
        RunConditions conditions)
    {
        Array.Sort(latencies);
        return new BenchmarkStats(workload, latencies, totalSeconds, errors, conditions);
    }

    // etcd's rule: walk the sorted samples and take the first whose rank reaches each percentile.
    private static double[] ComputePercentiles(double[] sorted)
    {
        var data = new double[Percentiles.Length];
        var j = 0;
        var n = sorted.Length;
        for (var i = 0; i < n && j < Percentiles.Length; i++)
        {
            var current = i * 100.0 / n;
            if (current >= Percentiles[j])
            {
                data[j] = sorted[i];
                j++;
            }
        }

        return data;
    }
}

/// <summary>
/// How a run was bounded. <paramref name="Requested"/>: requests asked for (0 when not counted).
/// <paramref name="RateLimited"/>: requests were paced, so requests/sec only echoes the pace and
/// latency is the figure to compare. <paramref name="StoppedEarly"/>: --time-limit ended the run.
/// </summary>
public readonly record struct RunConditions(long Requested, bool RateLimited, bool StoppedEarly);
