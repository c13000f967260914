using System.Collections.Concurrent;

namespace EtcdOrleans.Benchmark;

/// <summary>
/// Lock-free result sink for a run of <c>total</c> numbered requests: request i writes its latency
/// into slot i of a preallocated array, so recording allocates nothing. A request may be filed under
/// one of several reports (e.g. txn-mixed's reads and writes) by its <c>report</c> number.
/// </summary>
public sealed class ResultRecorder
{
    private readonly double[] _latencies;
    private readonly byte[] _report;
    private readonly ConcurrentDictionary<string, int>[] _errors;

    public ResultRecorder(long total, int reports = 1)
    {
        _latencies = new double[total];
        Array.Fill(_latencies, double.NaN);
        _report = new byte[total];
        _errors = new ConcurrentDictionary<string, int>[reports];
        for (var i = 0; i < reports; i++)
        {
            _errors[i] = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        }
    }

    /// <summary>The number of requests the run was asked for.</summary>
    public long Requested => _latencies.Length;

    /// <summary>Set when requests were paced by --rate (or --put-rate): latency, not throughput, is the figure.</summary>
    public bool RateLimited { get; set; }

    /// <summary>Set when --time-limit ended the run before every request was issued.</summary>
    public bool StoppedEarly { get; set; }

    public void Record(long index, int report, double seconds)
    {
        _latencies[index] = seconds;
        _report[index] = (byte)report;
    }

    public void RecordError(int report, string message) =>
        _errors[report].AddOrUpdate(message, 1, static (_, n) => n + 1);

    public BenchmarkStats ToStats(string workload, int report, double totalSeconds)
    {
        var count = 0;
        for (var i = 0; i < _latencies.Length; i++)
        {
            if (!double.IsNaN(_latencies[i]) && _report[i] == report)
            {
                count++;
            }
        }

        var lats = new double[count];
        var k = 0;
        for (var i = 0; i < _latencies.Length; i++)
        {
            if (!double.IsNaN(_latencies[i]) && _report[i] == report)
            {
                lats[k++] = _latencies[i];
            }
        }

        return BenchmarkStats.Create(
            workload,
            lats,
            totalSeconds,
            new Dictionary<string, int>(_errors[report]),
            new RunConditions(Requested, RateLimited, StoppedEarly));
    }
}
