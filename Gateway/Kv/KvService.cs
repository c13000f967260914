using EtcdOrleans.Gateway.Errors;
using EtcdOrleans.Gateway.Rpc;
using EtcdOrleans.Protos.Etcdserverpb;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace EtcdOrleans.Gateway.Kv;

/// <summary>
/// etcd's KV service. Every method has one shape: validate exactly as etcd does (bad input never reaches the
/// cluster, so it changes nothing), call the backend under the request timeout, map its error to etcd's wire
/// error, fill the response header.
/// </summary>
public sealed class KvService(IKvBackend backend, BackendCalls calls, IOptions<GatewayOptions> options) : KV.KVBase
{
    private readonly GatewayOptions _options = options.Value;

    public override async Task<RangeResponse> Range(RangeRequest request, ServerCallContext context)
    {
        ThrowIfInvalid(KvRequestValidator.CheckRange(request));
        var response = await calls.CallAsync(backend.RangeAsync, request, context.CancellationToken).ConfigureAwait(false);
        calls.FillHeader(response.Header ??= new ResponseHeader());
        return response;
    }

    public override async Task<PutResponse> Put(PutRequest request, ServerCallContext context)
    {
        ThrowIfInvalid(KvRequestValidator.CheckPut(request));
        ThrowIfInvalid(KvRequestValidator.CheckProposalSize(request, _options.MaxRequestBytes));
        var response = await calls.CallAsync(backend.PutAsync, request, context.CancellationToken).ConfigureAwait(false);
        calls.FillHeader(response.Header ??= new ResponseHeader());
        return response;
    }

    public override async Task<DeleteRangeResponse> DeleteRange(DeleteRangeRequest request, ServerCallContext context)
    {
        ThrowIfInvalid(KvRequestValidator.CheckDeleteRange(request));
        ThrowIfInvalid(KvRequestValidator.CheckProposalSize(request, _options.MaxRequestBytes));
        var response = await calls.CallAsync(backend.DeleteRangeAsync, request, context.CancellationToken).ConfigureAwait(false);
        calls.FillHeader(response.Header ??= new ResponseHeader());
        return response;
    }

    public override async Task<TxnResponse> Txn(TxnRequest request, ServerCallContext context)
    {
        ThrowIfInvalid(KvRequestValidator.CheckTxn(request, _options.MaxTxnOps));
        if (!KvRequestValidator.IsReadOnly(request))
        {
            ThrowIfInvalid(KvRequestValidator.CheckProposalSize(request, _options.MaxRequestBytes));
        }

        var response = await calls.CallAsync(backend.TxnAsync, request, context.CancellationToken).ConfigureAwait(false);
        calls.FillHeader(response.Header ??= new ResponseHeader());
        return response;
    }

    public override async Task<CompactionResponse> Compact(CompactionRequest request, ServerCallContext context)
    {
        ThrowIfInvalid(KvRequestValidator.CheckProposalSize(request, _options.MaxRequestBytes));
        var response = await calls.CallAsync(backend.CompactAsync, request, context.CancellationToken).ConfigureAwait(false);
        calls.FillHeader(response.Header ??= new ResponseHeader());
        return response;
    }

    private static void ThrowIfInvalid(EtcdErrorCode error)
    {
        if (error != EtcdErrorCode.None)
        {
            throw EtcdErrors.ToRpcException(error);
        }
    }
}
