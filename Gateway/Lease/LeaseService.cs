using EtcdOrleans.Gateway.Rpc;
using EtcdOrleans.Protos.Etcdserverpb;
using Grpc.Core;

namespace EtcdOrleans.Gateway.Lease;

/// <summary>
/// etcd's Lease service (v3rpc <c>lease.go</c>). Each method has the KV service's shape: call the backend under the
/// request timeout, map its error to etcd's wire error, fill the response header. etcd validates nothing here: a
/// grant's TTL and id are checked when it is applied. Two etcd quirks, kept by the backend: TimeToLive of an unknown
/// lease is not an error but TTL -1, and a KeepAlive of an unknown or expired lease answers TTL 0 and keeps the stream
/// open.
/// </summary>
public sealed class LeaseService(ILeaseBackend backend, BackendCalls calls)
    : Protos.Etcdserverpb.Lease.LeaseBase
{
    public override async Task<LeaseGrantResponse> LeaseGrant(LeaseGrantRequest request, ServerCallContext context)
    {
        var response = await calls.CallAsync(backend.GrantAsync, request, context.CancellationToken).ConfigureAwait(false);
        calls.FillHeader(response.Header ??= new ResponseHeader());
        return response;
    }

    public override async Task<LeaseRevokeResponse> LeaseRevoke(LeaseRevokeRequest request, ServerCallContext context)
    {
        var response = await calls.CallAsync(backend.RevokeAsync, request, context.CancellationToken).ConfigureAwait(false);
        calls.FillHeader(response.Header ??= new ResponseHeader());
        return response;
    }

    public override async Task<LeaseTimeToLiveResponse> LeaseTimeToLive(LeaseTimeToLiveRequest request, ServerCallContext context)
    {
        var response = await calls.CallAsync(backend.TimeToLiveAsync, request, context.CancellationToken).ConfigureAwait(false);
        calls.FillHeader(response.Header ??= new ResponseHeader());
        return response;
    }

    public override async Task<LeaseLeasesResponse> LeaseLeases(LeaseLeasesRequest request, ServerCallContext context)
    {
        var response = await calls.CallAsync(backend.LeasesAsync, request, context.CancellationToken).ConfigureAwait(false);
        calls.FillHeader(response.Header ??= new ResponseHeader());
        return response;
    }

    /// <summary>
    /// One answer per request, in order, until the client closes its side. Any error other than an unknown lease ends
    /// the stream with etcd's wire error.
    /// </summary>
    public override async Task LeaseKeepAlive(
        IAsyncStreamReader<LeaseKeepAliveRequest> requestStream,
        IServerStreamWriter<LeaseKeepAliveResponse> responseStream,
        ServerCallContext context)
    {
        var clientToken = context.CancellationToken;
        try
        {
            while (await requestStream.MoveNext(clientToken).ConfigureAwait(false))
            {
                var id = requestStream.Current.ID;
                var response = await calls.CallAsync(backend.KeepAliveAsync, id, clientToken).ConfigureAwait(false);
                calls.FillHeader(response.Header ??= new ResponseHeader());
                await responseStream.WriteAsync(response, clientToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (clientToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, "context canceled"));
        }
    }
}
