using EtcdOrleans.Contracts;
using EtcdOrleans.Gateway.Kv;
using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;

namespace EtcdOrleans.Gateway.Cluster;

/// <summary>
/// etcd's KV on the Orleans cluster: reads through the stateless <see cref="IKvReaderGrain"/> (ReadIndex or
/// serializable), everything else — writes, compactions and read-only txns, which the leader's sequencer answers
/// at the latest proposed state — through the <see cref="ProposalBatcher"/> to the leader.
/// </summary>
internal sealed class OrleansKvBackend(IGrainFactory grains, ProposalBatcher proposals) : IKvBackend
{
    public async Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken)
    {
        var outcome = await grains.GetGrain<IKvReaderGrain>(0).RangeAsync(request.ToByteArray()).WaitAsync(cancellationToken).ConfigureAwait(false);
        return RangeResponse.Parser.ParseFrom(KvErrorMapping.ResponseOrThrow(outcome));
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
        return KvErrorMapping.ResponseOrThrow(outcome);
    }
}
