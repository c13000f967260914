using System.Net;
using EtcdOrleans.Protos.Etcdserverpb;
using Grpc.Net.Client;

namespace EtcdOrleans.Benchmark;

/// <summary>
/// <c>--conns</c> independent HTTP/2 connections (one <see cref="GrpcChannel"/> each, h2c unless the
/// endpoint says https://), dialed round-robin over the endpoints; <c>--clients</c> workers share them
/// as client i → connection i mod conns, as etcd's tool does.
/// </summary>
public sealed class ConnectionPool : IDisposable
{
    private readonly GrpcChannel[] _channels;
    private readonly List<GrpcChannel> _extra = [];
    private readonly IReadOnlyList<string> _endpoints;
    private int _dialed;

    private ConnectionPool(IReadOnlyList<string> endpoints, int conns)
    {
        _endpoints = endpoints;
        _channels = new GrpcChannel[conns];
        for (var i = 0; i < conns; i++)
        {
            _channels[i] = Dial(NextEndpoint());
        }
    }

    public int Count => _channels.Length;

    public static async Task<ConnectionPool> CreateAsync(GlobalOptions options)
    {
        IReadOnlyList<string> endpoints = options.Endpoints;
        if (options.TargetLeader)
        {
            endpoints = await FindLeaderEndpointsAsync(endpoints);
        }

        var pool = new ConnectionPool(endpoints, options.Conns);
        await pool.WarmUpAsync();
        return pool;
    }

    /// <summary>The connection that client <paramref name="client"/> uses.</summary>
    public GrpcChannel ForClient(int client) => _channels[client % _channels.Length];

    /// <summary>One more connection outside the pool, on the next endpoint (etcd's mustCreateConn).</summary>
    public GrpcChannel DialExtra()
    {
        var channel = Dial(NextEndpoint());
        _extra.Add(channel);
        return channel;
    }

    public void Dispose()
    {
        foreach (var c in _channels)
        {
            c.Dispose();
        }

        foreach (var c in _extra)
        {
            c.Dispose();
        }
    }

    public static GrpcChannel Dial(string endpoint)
    {
        var handler = new SocketsHttpHandler
        {
            // Each channel is one connection: --conns counts channels, not sockets within one.
            EnableMultipleHttp2Connections = false,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        };
        return GrpcChannel.ForAddress(ToUri(endpoint), new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
        });
    }

    /// <summary>
    /// Opens every connection and runs the client's call path once before timing starts, so the
    /// first measured requests pay neither for the HTTP/2 handshake nor for JIT compilation.
    /// </summary>
    private async Task WarmUpAsync()
    {
        var probe = new RangeRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("\0etcd-bench-warmup"), Serializable = true };
        var calls = new Task[_channels.Length];
        for (var i = 0; i < _channels.Length; i++)
        {
            calls[i] = new KV.KVClient(_channels[i]).RangeAsync(probe).ResponseAsync;
        }

        await Task.WhenAll(calls);
    }

    private string NextEndpoint() => _endpoints[_dialed++ % _endpoints.Count];

    private static string ToUri(string endpoint) =>
        endpoint.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
        || endpoint.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            ? endpoint
            : "http://" + endpoint;

    private static async Task<IReadOnlyList<string>> FindLeaderEndpointsAsync(IReadOnlyList<string> endpoints)
    {
        using var channel = Dial(endpoints[0]);
        var status = await new Maintenance.MaintenanceClient(channel).StatusAsync(new StatusRequest());
        var members = await new Cluster.ClusterClient(channel).MemberListAsync(new MemberListRequest());
        foreach (var m in members.Members)
        {
            if (m.ID == status.Leader && m.ClientURLs.Count > 0)
            {
                return [.. m.ClientURLs];
            }
        }

        throw new InvalidOperationException("failed to find a leader endpoint");
    }
}
