using EtcdOrleans.Gateway.Errors;
using EtcdOrleans.Protos.Etcdserverpb;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace EtcdOrleans.Gateway.Kv;

/// <summary>
/// etcd's KV service. Every method has one shape: validate exactly as etcd does (bad input never reaches the
/// cluster, so it changes nothing), call the backend under the request timeout, map its error to etcd's wire
/// error, fill the response header.
/// </summary>
public sealed class KvService(IKvBackend backend, IClusterHeaderSource headerSource, IOptions<GatewayOptions> options) : KV.KVBase
{
    private readonly GatewayOptions _options = options.Value;

    public override async Task<RangeResponse> Range(RangeRequest request, ServerCallContext context)
    {
        ThrowIfInvalid(KvRequestValidator.CheckRange(request));
        var response = await CallAsync(backend.RangeAsync, request, context).ConfigureAwait(false);
        FillHeader(response.Header ??= new ResponseHeader());
        return response;
    }

    public override async Task<PutResponse> Put(PutRequest request, ServerCallContext context)
    {
        ThrowIfInvalid(KvRequestValidator.CheckPut(request));
        ThrowIfInvalid(KvRequestValidator.CheckProposalSize(request, _options.MaxRequestBytes));
        var response = await CallAsync(backend.PutAsync, request, context).ConfigureAwait(false);
        FillHeader(response.Header ??= new ResponseHeader());
        return response;
    }

    public override async Task<DeleteRangeResponse> DeleteRange(DeleteRangeRequest request, ServerCallContext context)
    {
        ThrowIfInvalid(KvRequestValidator.CheckDeleteRange(request));
        ThrowIfInvalid(KvRequestValidator.CheckProposalSize(request, _options.MaxRequestBytes));
        var response = await CallAsync(backend.DeleteRangeAsync, request, context).ConfigureAwait(false);
        FillHeader(response.Header ??= new ResponseHeader());
        return response;
    }

    public override async Task<TxnResponse> Txn(TxnRequest request, ServerCallContext context)
    {
        ThrowIfInvalid(KvRequestValidator.CheckTxn(request, _options.MaxTxnOps));
        if (!KvRequestValidator.IsReadOnly(request))
        {
            ThrowIfInvalid(KvRequestValidator.CheckProposalSize(request, _options.MaxRequestBytes));
        }

        var response = await CallAsync(backend.TxnAsync, request, context).ConfigureAwait(false);
        FillHeader(response.Header ??= new ResponseHeader());
        return response;
    }

    public override async Task<CompactionResponse> Compact(CompactionRequest request, ServerCallContext context)
    {
        ThrowIfInvalid(KvRequestValidator.CheckProposalSize(request, _options.MaxRequestBytes));
        var response = await CallAsync(backend.CompactAsync, request, context).ConfigureAwait(false);
        FillHeader(response.Header ??= new ResponseHeader());
        return response;
    }

    private static void ThrowIfInvalid(EtcdErrorCode error)
    {
        if (error != EtcdErrorCode.None)
        {
            throw EtcdErrors.ToRpcException(error);
        }
    }

    /// <summary>
    /// Calls the backend with a token that fires when the client goes away or the request timeout passes, and
    /// turns what it throws into etcd's wire error: the client's own cancellation becomes Canceled
    /// "context canceled" (what Go's gRPC server sends), our timeout "etcdserver: request timed out".
    /// </summary>
    private async Task<TResponse> CallAsync<TRequest, TResponse>(
        Func<TRequest, CancellationToken, Task<TResponse>> call,
        TRequest request,
        ServerCallContext context)
    {
        var clientToken = context.CancellationToken;
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
