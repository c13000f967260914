using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Grpc.Core;

namespace EtcdOrleans.Gateway.Diagnostics;

/// <summary>
/// The gateway's request metrics, on one <see cref="Meter"/> named <see cref="MeterName"/>, under the names etcd
/// exports through go-grpc-prometheus, so etcd dashboards and alerts apply: <c>grpc_server_started_total</c>,
/// <c>grpc_server_handled_total</c> (with <c>grpc_code</c>) and <c>grpc_server_handling_seconds</c>, tagged
/// <c>grpc_type</c>, <c>grpc_service</c>, <c>grpc_method</c> with go-grpc's spelling of the values.
/// </summary>
public sealed class GatewayMetrics
{
    /// <summary>The meter name (the Aspire dashboard groups it with the other EtcdOrleans.* meters).</summary>
    public const string MeterName = "EtcdOrleans.Gateway";

    private static readonly string[] CodeNames =
    [
        "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists",
        "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented",
        "Internal", "Unavailable", "DataLoss", "Unauthenticated",
    ];

    private readonly Counter<long> _started;
    private readonly Counter<long> _handled;
    private readonly Histogram<double> _handlingSeconds;
    private readonly ConcurrentDictionary<string, (string Service, string Method)> _methods = new(StringComparer.Ordinal);

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _started = meter.CreateCounter<long>("grpc_server_started_total", description: "Total number of RPCs started on the server.");
        _handled = meter.CreateCounter<long>("grpc_server_handled_total", description: "Total number of RPCs completed on the server, regardless of success or failure.");
        _handlingSeconds = meter.CreateHistogram<double>(
            "grpc_server_handling_seconds",
            unit: "s",
            description: "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
    }

    /// <summary>go-grpc's name of a status code ("Canceled", not "Cancelled").</summary>
    public static string CodeName(StatusCode code) => (int)code is >= 0 and < 17 ? CodeNames[(int)code] : ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Counts an RPC that started.</summary>
    public void Started(string grpcType, string fullMethod)
    {
        var (service, method) = Split(fullMethod);
        _started.Add(1, new TagList { { "grpc_type", grpcType }, { "grpc_service", service }, { "grpc_method", method } });
    }

    /// <summary>Counts an RPC that finished with <paramref name="code"/> after <paramref name="elapsed"/>.</summary>
    public void Handled(string grpcType, string fullMethod, StatusCode code, TimeSpan elapsed)
    {
        var (service, method) = Split(fullMethod);
        var tags = new TagList { { "grpc_type", grpcType }, { "grpc_service", service }, { "grpc_method", method } };
        _handlingSeconds.Record(elapsed.TotalSeconds, tags);
        tags.Add("grpc_code", CodeName(code));
        _handled.Add(1, tags);
    }

    // "/etcdserverpb.KV/Range" -> ("etcdserverpb.KV", "Range"), cached: the set of methods is small and fixed.
    private (string Service, string Method) Split(string fullMethod) =>
        _methods.GetOrAdd(fullMethod, static m =>
        {
            var trimmed = m.StartsWith('/') ? m[1..] : m;
            var slash = trimmed.LastIndexOf('/');
            return slash < 0 ? ("unknown", trimmed) : (trimmed[..slash], trimmed[(slash + 1)..]);
        });
}
