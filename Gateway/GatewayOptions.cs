namespace EtcdOrleans.Gateway;

/// <summary>
/// Limits and timings of the gateway's gRPC surface, bound from the <c>EtcdOrleans:Gateway</c> configuration
/// section. Defaults are etcd's (<c>embed.Config</c>): the same flags mean the same thing.
/// </summary>
public sealed class GatewayOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "EtcdOrleans:Gateway";

    /// <summary>What gRPC framing may add on top of a request of <see cref="MaxRequestBytes"/> (etcd: 512 KiB).</summary>
    public const int GrpcOverheadBytes = 512 * 1024;

    /// <summary>etcd's <c>--max-request-bytes</c>: the largest request that may be proposed (default 1.5 MiB).</summary>
    public int MaxRequestBytes { get; set; } = 3 * 512 * 1024;

    /// <summary>etcd's <c>--max-txn-ops</c>: the most operations in any one of a txn's compare/success/failure lists.</summary>
    public int MaxTxnOps { get; set; } = 128;

    /// <summary>
    /// etcd's <c>--max-concurrent-streams</c>: concurrent HTTP/2 streams per client connection
    /// (etcd's default is unlimited, math.MaxUint32; Kestrel's limit is an int).
    /// </summary>
    public int MaxConcurrentStreams { get; set; } = int.MaxValue;

    /// <summary>
    /// How long a request may wait for the cluster before it fails with "etcdserver: request timed out"
    /// (etcd: 5 s plus two election timeouts, 7 s by default).
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(7);

    /// <summary>
    /// etcd's <c>--experimental-watch-progress-notify-interval</c>: how often a watch created with progress_notify that
    /// got no events is told the current revision (10 minutes).
    /// </summary>
    public TimeSpan WatchProgressNotifyInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Requests slower than this are logged as warnings (etcd warns at 100 ms).</summary>
    public TimeSpan SlowRequestThreshold { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The largest gRPC message the server reads: <see cref="MaxRequestBytes"/> plus <see cref="GrpcOverheadBytes"/>.</summary>
    public int MaxReceiveMessageSize => checked(MaxRequestBytes + GrpcOverheadBytes);

    /// <summary>
    /// What the gRPC transport reads before refusing (four times <see cref="MaxReceiveMessageSize"/>): messages up
    /// to here reach the interceptor, which refuses those above <see cref="MaxReceiveMessageSize"/> with etcd's message.
    /// </summary>
    public int TransportReceiveLimit => (int)Math.Min(int.MaxValue, 4L * MaxReceiveMessageSize);
}
