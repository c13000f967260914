using EtcdOrleans.Gateway.Errors;
using EtcdOrleans.Gateway.Kv;
using EtcdOrleans.Protos.Etcdserverpb;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace EtcdOrleans.Gateway.Lease;

/// <summary>
/// etcd's Lease service (v3rpc <c>lease.go</c>). Each method has the KV service's shape: call the backend under the
/// request timeout, map its error to etcd's wire error, fill the response header. etcd validates nothing here: a
/// grant's TTL and id are checked when it is applied. Two etcd quirks, kept by the backend: TimeToLive of an unknown
/// lease is not an error but TTL -1, and a KeepAlive of an unknown or expired lease answers TTL 0 and keeps the stream
/// open.
/// </summary>
public sealed class LeaseService(ILeaseBackend backend, IClusterHeaderSource headerSource, IOptions<GatewayOptions> options)
    : Protos.Etcdserverpb.Lease.LeaseBase
{
    private readonly GatewayOptions _options = options.Value;

    public override async Task<LeaseGrantResponse> LeaseGrant(LeaseGrantRequest request, ServerCallContext context)
    {
        var response = await CallAsync(backend.GrantAsync, request, context.CancellationToken).ConfigureAwait(false);
        FillHeader(response.Header ??= new ResponseHeader());
        return response;
    }

    public override async Task<LeaseRevokeResponse> LeaseRevoke(LeaseRevokeRequest request, ServerCallContext context)
    {
        var response = await CallAsync(backend.RevokeAsync, request, context.CancellationToken).ConfigureAwait(false);
        FillHeader(response.Header ??= new ResponseHeader());
        return response;
    }

    public override async Task<LeaseTimeToLiveResponse> LeaseTimeToLive(LeaseTimeToLiveRequest request, ServerCallContext context)
    {
        var response = await CallAsync(backend.TimeToLiveAsync, request, context.CancellationToken).ConfigureAwait(false);
        FillHeader(response.Header ??= new ResponseHeader());
        return response;
    }

    public override async Task<LeaseLeasesResponse> LeaseLeases(LeaseLeasesRequest request, ServerCallContext context)
    {
        var response = await CallAsync(backend.LeasesAsync, request, context.CancellationToken).ConfigureAwait(false);
        FillHeader(response.Header ??= new ResponseHeader());
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
                var response = await CallAsync(backend.KeepAliveAsync, id, clientToken).ConfigureAwait(false);
                FillHeader(response.Header ??= new ResponseHeader());
                await responseStream.WriteAsync(response, clientToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (clientToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, "context canceled"));
        }
    }

    /// <summary>
    /// Calls the backend with a token that fires when the client goes away or the request timeout passes, and turns
    /// what it throws into etcd's wire error, as <see cref="KvService"/> does.
    /// </summary>
    private async Task<TResponse> CallAsync<TRequest, TResponse>(
        Func<TRequest, CancellationToken, Task<TResponse>> call,
        TRequest request,
        CancellationToken clientToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(clientToken);
        if (_options.RequestTimeout > TimeSpan.Zero && _options.RequestTimeout != Timeout.InfiniteTimeSpan)
        {
            timeout.CancelAfter(_options.RequestTimeout);
        }

        try
        {
            return await call(request, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (clientToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, "context canceled"));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw EtcdErrors.ToRpcException(EtcdErrorCode.Timeout);
        }
        catch (Exception error) when (error is not RpcException)
        {
            throw EtcdErrors.ToRpcException(error);
        }
    }

    /// <summary>Fills what the backend left unset (zero) from the cluster's current header values.</summary>
    private void FillHeader(ResponseHeader header)
    {
        var current = headerSource.Current;
        if (header.ClusterId == 0)
        {
            header.ClusterId = current.ClusterId;
        }

        if (header.MemberId == 0)
        {
            header.MemberId = current.MemberId;
        }

        if (header.RaftTerm == 0)
        {
            header.RaftTerm = current.RaftTerm;
        }

        if (header.Revision == 0)
        {
            header.Revision = current.Revision;
        }
    }
}
