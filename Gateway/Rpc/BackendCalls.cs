using EtcdOrleans.Gateway.Errors;
using EtcdOrleans.Gateway.Kv;
using EtcdOrleans.Protos.Etcdserverpb;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace EtcdOrleans.Gateway.Rpc;

/// <summary>
/// What every etcd service method does around its backend call: the request timeout, the mapping of what the backend
/// throws to etcd's wire error, and the response header.
/// </summary>
public sealed class BackendCalls(IClusterHeaderSource headerSource, IOptions<GatewayOptions> options)
{
    private readonly TimeSpan _requestTimeout = options.Value.RequestTimeout;

    /// <summary>
    /// Calls the backend with a token that fires when the client goes away or the request timeout passes, and
    /// turns what it throws into etcd's wire error: the client's own cancellation becomes Canceled
    /// "context canceled" (what Go's gRPC server sends), our timeout "etcdserver: request timed out".
    /// </summary>
    public async Task<TResponse> CallAsync<TRequest, TResponse>(
        Func<TRequest, CancellationToken, Task<TResponse>> call,
        TRequest request,
        CancellationToken clientToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(clientToken);
        if (_requestTimeout > TimeSpan.Zero && _requestTimeout != Timeout.InfiniteTimeSpan)
        {
            timeout.CancelAfter(_requestTimeout);
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
    public void FillHeader(ResponseHeader header)
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
