using EtcdOrleans.Gateway.Kv;
using EtcdOrleans.Protos.Etcdserverpb;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace EtcdOrleans.Gateway.Watch;

/// <summary>etcd's Watch service: each call is one <see cref="WatchStreamSession"/> on the gateway's <see cref="WatchHub"/>.</summary>
internal sealed class WatchService(WatchHub hub, IClusterHeaderSource headerSource, IOptions<GatewayOptions> options) : Protos.Etcdserverpb.Watch.WatchBase
{
    public override Task Watch(IAsyncStreamReader<WatchRequest> requestStream, IServerStreamWriter<WatchResponse> responseStream, ServerCallContext context) =>
        new WatchStreamSession(hub, headerSource, options.Value.MaxRequestBytes, options.Value.WatchProgressNotifyInterval, responseStream)
            .RunAsync(requestStream, context.CancellationToken);
}
