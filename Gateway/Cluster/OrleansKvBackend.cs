using EtcdOrleans.Contracts;
using EtcdOrleans.Gateway.Kv;
using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;
using Microsoft.Extensions.Options;

namespace EtcdOrleans.Gateway.Cluster;

/// <summary>
/// etcd's KV on the Orleans cluster: reads through the stateless <see cref="IKvReaderGrain"/> (ReadIndex or
/// serializable), everything else — writes, compactions and txns, which the leader's sequencer answers (a txn
/// that writes nothing once a quorum has confirmed the state it saw) — through the <see cref="ProposalBatcher"/>.
/// </summary>
internal sealed class OrleansKvBackend(IGrainFactory grains, ProposalBatcher proposals, IOptions<GatewayOptions> options) : IKvBackend
{
    private readonly TimeSpan _timeout = options.Value.RequestTimeout;

    public async Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken)
    {
        var outcome = await grains.GetGrain<IKvReaderGrain>(0).RangeAsync(request.ToByteArray(), _timeout, proposals.AcknowledgedRevision)
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return RangeResponse.Parser.ParseFrom(await KvErrorMapping.ResponseOrThrowAsync(grains, outcome, cancellationToken).ConfigureAwait(false));
    }

    public async Task<PutResponse> PutAsync(PutRequest request, CancellationToken cancellationToken) =>
        PutResponse.Parser.ParseFrom(await ProposeAsync(KvOperation.Put, request, cancellationToken).ConfigureAwait(false));

    public async Task<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken) =>
        DeleteRangeResponse.Parser.ParseFrom(await ProposeAsync(KvOperation.DeleteRange, request, cancellationToken).ConfigureAwait(false));

    public async Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken) =>
        TxnResponse.Parser.ParseFrom(await ProposeAsync(KvOperation.Txn, request, cancellationToken).ConfigureAwait(false));

    public async Task<CompactionResponse> CompactAsync(CompactionRequest request, CancellationToken cancellationToken) =>
        CompactionResponse.Parser.ParseFrom(await ProposeAsync(KvOperation.Compact, request, cancellationToken).ConfigureAwait(false));

    private async Task<byte[]> ProposeAsync(KvOperation operation, IMessage request, CancellationToken cancellationToken)
    {
        var outcome = await proposals.ProposeAsync(new KvCommand(operation, request.ToByteArray()), cancellationToken).ConfigureAwait(false);
        return await KvErrorMapping.ResponseOrThrowAsync(grains, outcome, cancellationToken).ConfigureAwait(false);
    }
}
