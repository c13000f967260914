using System.Globalization;
using System.Text;

namespace EtcdOrleans.Benchmark;

/// <summary>Renders a <see cref="BenchmarkStats"/> in the exact layout of etcd's benchmark report.</summary>
public static class TextReport
{
    private const char BarChar = '∎';

    public static string Format(BenchmarkStats s, bool precise)
    {
        var sb = new StringBuilder();
        if (s.Count > 0)
        {
            sb.Append("\nSummary:\n");
            sb.Append("  Total:\t").Append(Secs(s.TotalSeconds, precise)).Append(".\n");
            sb.Append("  Slowest:\t").Append(Secs(s.Slowest, precise)).Append(".\n");
            sb.Append("  Fastest:\t").Append(Secs(s.Fastest, precise)).Append(".\n");
            sb.Append("  Average:\t").Append(Secs(s.Average, precise)).Append(".\n");
            sb.Append("  Stddev:\t").Append(Secs(s.Stddev, precise)).Append(".\n");
            sb.Append("  Requests/sec:\t").Append(Num(s.Rps, precise)).Append('\n');
            AppendHistogram(sb, s, precise);
            AppendLatencies(sb, s, precise);
        }

        if (s.Conditions.StoppedEarly)
        {
            sb.Append("\nStopped by --time-limit after ").Append(s.Count.ToString(CultureInfo.InvariantCulture))
                .Append(" successful of ").Append(s.Conditions.Requested.ToString(CultureInfo.InvariantCulture)).Append(" requests.\n");
        }

        if (s.Errors.Count > 0)
        {
            sb.Append("\nError distribution:\n");
            foreach (var (message, count) in s.Errors.OrderByDescending(e => e.Value))
            {
                sb.Append("  [").Append(count.ToString(CultureInfo.InvariantCulture)).Append("]\t").Append(message).Append('\n');
            }
        }

        return sb.ToString();
    }

    public static string Num(double v, bool precise) =>
        precise
            ? v.ToString("R", CultureInfo.InvariantCulture)
            : v.ToString("F4", CultureInfo.InvariantCulture);

    private static string Secs(double v, bool precise) => Num(v, precise) + " secs";

    private static void AppendHistogram(StringBuilder sb, BenchmarkStats s, bool precise)
    {
        const int bc = 10;
        var buckets = new double[bc + 1];
        var counts = new int[bc + 1];
        var width = (s.Slowest - s.Fastest) / bc;
        for (var i = 0; i < bc; i++)
        {
            buckets[i] = s.Fastest + (width * i);
        }

        buckets[bc] = s.Slowest;
        var bi = 0;
        var max = 0;
        var lats = s.SortedLatencies;
        for (var i = 0; i < lats.Length;)
        {
            if (lats[i] <= buckets[bi])
            {
                i++;
                counts[bi]++;
                max = Math.Max(max, counts[bi]);
            }
            else if (bi < buckets.Length - 1)
            {
                bi++;
            }
            else
            {
                // Rounding left a sample above the last edge; it belongs to the last bucket.
                counts[bi]++;
                i++;
            }
        }

        sb.Append("\nResponse time histogram:\n");
        for (var i = 0; i < buckets.Length; i++)
        {
            var barLen = max > 0 ? counts[i] * 40 / max : 0;
            sb.Append("  ").Append(Num(buckets[i], precise))
                .Append(" [").Append(counts[i].ToString(CultureInfo.InvariantCulture)).Append("]\t|")
                .Append(BarChar, barLen).Append('\n');
        }
    }

    private static void AppendLatencies(StringBuilder sb, BenchmarkStats s, bool precise)
    {
        sb.Append("\nLatency distribution:\n");
        for (var i = 0; i < BenchmarkStats.Percentiles.Length; i++)
        {
            if (s.PercentileValues[i] > 0)
            {
                sb.Append("  ").Append(BenchmarkStats.Percentiles[i].ToString(CultureInfo.InvariantCulture))
                    .Append("% in ").Append(Secs(s.PercentileValues[i], precise)).Append(".\n");
            }
        }
    }
}
