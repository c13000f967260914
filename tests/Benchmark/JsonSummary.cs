using System.Diagnostics;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace EtcdOrleans.Benchmark;

/// <summary>
/// The machine-readable summary written by <c>--json</c>: one object per run with the command line
/// settings and one entry per report (seconds for every time). Read back by the <c>report</c> command.
/// </summary>
public static class JsonSummary
{
    public static void Write(string path, string command, IReadOnlyList<string> args, GlobalOptions options, IReadOnlyList<BenchmarkStats> reports)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        using var stream = path == "-" ? Console.OpenStandardOutput() : File.Create(path);
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("tool", "EtcdOrleans.Benchmark");
            w.WriteString("command", command);
            w.WriteString("time", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            w.WriteString("endpoints", string.Join(',', options.Endpoints));
            w.WriteNumber("conns", options.Conns);
            w.WriteNumber("clients", options.Clients);
            w.WriteStartArray("args");
            foreach (var a in args)
            {
                w.WriteStringValue(a);
            }

            w.WriteEndArray();

            // CPU the load generator itself used (whole process): on a shared machine it competes with the servers.
            w.WriteNumber("clientCpuSeconds", Math.Round(cpu, 3));
            w.WriteStartArray("reports");
            foreach (var r in reports)
            {
                WriteReport(w, r);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        if (path == "-")
        {
            stream.WriteByte((byte)'\n');
        }
    }

    private static void WriteReport(Utf8JsonWriter w, BenchmarkStats r)
    {
        w.WriteStartObject();
        w.WriteString("workload", r.Workload);
        w.WriteNumber("requests", r.Count);
        w.WriteNumber("requested", r.Conditions.Requested);
        w.WriteBoolean("rateLimited", r.Conditions.RateLimited);
        w.WriteBoolean("stoppedEarly", r.Conditions.StoppedEarly);
        w.WriteNumber("total", r.TotalSeconds);
        w.WriteNumber("slowest", r.Slowest);
        w.WriteNumber("fastest", r.Fastest);
        w.WriteNumber("average", r.Average);
        w.WriteNumber("stddev", r.Stddev);
        w.WriteNumber("rps", r.Rps);
        w.WriteStartObject("percentiles");
        for (var i = 0; i < BenchmarkStats.Percentiles.Length; i++)
        {
            w.WriteNumber("p" + BenchmarkStats.Percentiles[i].ToString(CultureInfo.InvariantCulture), r.PercentileValues[i]);
        }

        w.WriteEndObject();
        w.WriteNumber("errorCount", r.ErrorCount);
        w.WriteStartObject("errors");
        foreach (var (message, count) in r.Errors)
        {
            w.WriteNumber(message, count);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }
}
