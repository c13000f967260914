using System.Globalization;
using System.Text.Json;

namespace EtcdOrleans.Benchmark;

/// <summary>
/// The <c>report</c> command: reads the JSON files in each NAME=DIR (etcd-bench <c>--json</c>
/// summaries, and figure files <c>{"figures":[{"workload","figure","value","lowerIsBetter","note"}]}</c>
/// such as compare.sh's memory figures) and prints two markdown tables.
/// <list type="number">
/// <item>Headline: a row per workload with one figure per system and each system's ratio to the
/// first system. The figure is requests/sec, except for paced runs (--rate, watch-latency), where
/// the rate only echoes the pace and the average latency in ms is the figure.</item>
/// <item>Detail: requests/sec, average and p99 latency, errors per system.</item>
/// </list>
/// A system with no result for a row shows "-".
/// </summary>
public static class ComparisonReport
{
    public static void Print(IReadOnlyList<string> columns, TextWriter output)
    {
        if (columns.Count == 0)
        {
            throw new UsageException("report needs at least one NAME=DIR");
        }

        var names = new List<string>();
        var systems = new List<Dictionary<string, Row>>();
        var order = new List<string>();
        foreach (var column in columns)
        {
            var eq = column.IndexOf('=', StringComparison.Ordinal);
            names.Add(eq > 0 ? column[..eq] : Path.GetFileName(column.TrimEnd('/')));
            systems.Add(Load(eq > 0 ? column[(eq + 1)..] : column, order));
        }

        PrintHeadline(names, systems, order, output);
        output.WriteLine();
        PrintDetail(names, systems, order, output);
    }

    private static void PrintHeadline(List<string> names, List<Dictionary<string, Row>> systems, List<string> order, TextWriter output)
    {
        var header = new List<string> { "workload", "figure" };
        header.AddRange(names);
        header.AddRange(names.Skip(1).Select(n => $"{n}/{names[0]}"));
        WriteHeader(header, output);
        foreach (var workload in order)
        {
            var rows = systems.Select(s => s.GetValueOrDefault(workload)).ToList();
            var first = rows.FirstOrDefault(r => r is not null)!;
            var cells = new List<string> { workload, first.Figure + (first.LowerIsBetter ? " (lower is better)" : " (higher is better)") };
            cells.AddRange(rows.Select(r => r is null ? "-" : Format(r.Value) + (r.Note is null ? string.Empty : $" ({r.Note})")));
            cells.AddRange(rows.Skip(1).Select(r => Ratio(rows[0], r)));
            WriteCells(cells, output);
        }
    }

    private static void PrintDetail(List<string> names, List<Dictionary<string, Row>> systems, List<string> order, TextWriter output)
    {
        var header = new List<string> { "workload" };
        header.AddRange(names.Select(n => n + " req/s"));
        header.AddRange(names.Select(n => n + " avg ms"));
        header.AddRange(names.Select(n => n + " p99 ms"));
        header.AddRange(names.Select(n => n + " errors"));
        WriteHeader(header, output);
        foreach (var workload in order)
        {
            var rows = systems.Select(s => s.GetValueOrDefault(workload)?.Run).ToList();
            if (rows.All(r => r is null))
            {
                continue;
            }

            var cells = new List<string> { workload };
            cells.AddRange(rows.Select(r => r is null ? "-" : F(r.Rps, "F1") + (r.StoppedEarly ? " (time limit)" : string.Empty)));
            cells.AddRange(rows.Select(r => r is null ? "-" : F(r.Average * 1000, "F2")));
            // etcd's percentile rule leaves p99 at 0 for fewer than 100 samples: not measured.
            cells.AddRange(rows.Select(r => r is null || r.P99 == 0 ? "-" : F(r.P99 * 1000, "F2")));
            cells.AddRange(rows.Select(r => r is null ? "-" : r.Errors.ToString(CultureInfo.InvariantCulture)));
            WriteCells(cells, output);
        }
    }

    private static void WriteHeader(List<string> header, TextWriter output)
    {
        WriteCells(header, output);
        output.WriteLine("|" + string.Concat(Enumerable.Repeat("---|", header.Count)));
    }

    private static void WriteCells(List<string> cells, TextWriter output) =>
        output.WriteLine("| " + string.Join(" | ", cells) + " |");

    /// <summary>The ratio of <paramref name="row"/> to <paramref name="baseline"/>; "(partial)" when either has a note.</summary>
    private static string Ratio(Row? baseline, Row? row)
    {
        if (row is null || baseline is null || baseline.Value == 0)
        {
            return "-";
        }

        var ratio = F(row.Value / baseline.Value, "F2");
        return row.Note is null && baseline.Note is null ? ratio : ratio + " (partial)";
    }

    private static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);

    private static string Format(double v) => F(v, v >= 100 ? "F0" : v >= 10 ? "F1" : "F2");

    private static Dictionary<string, Row> Load(string dir, List<string> order)
    {
        var rows = new Dictionary<string, Row>(StringComparer.Ordinal);
        if (!Directory.Exists(dir))
        {
            return rows;
        }

        foreach (var file in Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal))
        {
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(File.ReadAllBytes(file));
            }
            catch (JsonException)
            {
                continue;
            }

            using (doc)
            {
                foreach (var row in ReadRows(doc.RootElement))
                {
                    if (!order.Contains(row.Workload))
                    {
                        order.Add(row.Workload);
                    }

                    rows[row.Workload] = row;
                }
            }
        }

        return rows;
    }

    private static IEnumerable<Row> ReadRows(JsonElement root)
    {
        if (root.TryGetProperty("reports", out var reports))
        {
            foreach (var r in reports.EnumerateArray())
            {
                var run = new RunFigures(
                    r.GetProperty("rps").GetDouble(),
                    r.GetProperty("average").GetDouble(),
                    r.GetProperty("percentiles").GetProperty("p99").GetDouble(),
                    r.GetProperty("errorCount").GetInt32(),
                    r.TryGetProperty("stoppedEarly", out var s) && s.GetBoolean());
                var paced = r.TryGetProperty("rateLimited", out var p) && p.GetBoolean();
                var workload = r.GetProperty("workload").GetString() ?? "?";
                var note = run.StoppedEarly ? "time limit" : null;
                yield return paced
                    ? new Row(workload, "avg latency ms", run.Average * 1000, LowerIsBetter: true, note, run)
                    : new Row(workload, "req/s", run.Rps, LowerIsBetter: false, note, run);
            }
        }

        if (root.TryGetProperty("figures", out var figures))
        {
            foreach (var f in figures.EnumerateArray())
            {
                yield return new Row(
                    f.GetProperty("workload").GetString() ?? "?",
                    f.GetProperty("figure").GetString() ?? "?",
                    f.GetProperty("value").GetDouble(),
                    f.TryGetProperty("lowerIsBetter", out var l) && l.GetBoolean(),
                    f.TryGetProperty("note", out var n) && n.GetString() is { Length: > 0 } text ? text : null,
                    Run: null);
            }
        }
    }

    private sealed record RunFigures(double Rps, double Average, double P99, int Errors, bool StoppedEarly);

    /// <summary>One system's figure for one workload; <paramref name="Note"/> qualifies it (a time limit, a partial load).</summary>
    private sealed record Row(string Workload, string Figure, double Value, bool LowerIsBetter, string? Note, RunFigures? Run);
}
