using EtcdOrleans.Contracts;
using EtcdOrleans.Grains.Ranges;
using EtcdOrleans.Mvcc;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Rpc = EtcdOrleans.Protos.Etcdserverpb;

namespace EtcdOrleans.Grains.Kv;

/// <summary>
/// The read path. Linearizable: a read barrier at the leader, then every overlapping range grain at the barrier's
/// revision. Serializable: no consensus, the range grains at the lowest revision they all have. Either way one
/// revision for all parts, so the merged answer is one consistent snapshot.
/// </summary>
[StatelessWorker, Reentrant]
public sealed class KvReaderGrain(IOptions<EtcdOrleansSettings> settings, LeaderRouter router) : Grain, IKvReaderGrain
{
    private readonly KeySpace _keySpace = new(settings.Value.Ranges);

    public async Task<KvOutcome> RangeAsync(byte[] request)
    {
        var proto = Rpc.RangeRequest.Parser.ParseFrom(request);
        var mvccRequest = ProtoMapper.ToMvcc(proto);
        var ranges = _keySpace.Overlapping(KeyRange.FromEtcd(mvccRequest.Key, mvccRequest.RangeEnd)).ToArray();
        if (ranges.Length == 0)
        {
            ranges = [_keySpace.IndexOf(mvccRequest.Key)];
        }

        long revision;
        ulong minAppliedIndex;
        ulong source;
        if (proto.Serializable)
        {
            var statuses = await Task.WhenAll(ranges.Select(r => GrainFactory.GetGrain<IMvccRangeGrain>(r).GetStatusAsync()));
            revision = statuses.Min(s => s.Revision);
            minAppliedIndex = 0;
            source = router.Leader;
        }
        else
        {
            var barrier = await router.CallLeaderAsync(
                replica => replica.ReadIndexAsync(),
                reply => reply.Error is KvError.NotLeader or KvError.NoLeader ? reply.LeaderHint : null,
                TimeSpan.FromSeconds(7),
                idempotent: true);
            if (barrier is not { } answered)
            {
                return KvOutcome.Failed(KvError.Timeout);
            }

            if (answered.Reply.Error != KvError.None)
            {
                return KvOutcome.Failed(answered.Reply.Error);
            }

            revision = answered.Reply.Revision;
            minAppliedIndex = answered.Reply.Index;
            source = answered.Replica;
        }

        var parts = await Task.WhenAll(ranges.Select(r =>
            GrainFactory.GetGrain<IMvccRangeGrain>(r).RangeAsync(request, revision, minAppliedIndex, source)));
        foreach (var part in parts)
        {
            if (part.Error != KvError.None)
            {
                return KvOutcome.Failed(part.Error);
            }
        }

        var merged = RangeMerger.Merge(mvccRequest, parts.Select(ToPartialRange).ToArray());
        return KvOutcome.Ok(ProtoMapper.ToProto(merged).ToByteArray());
    }

    private static PartialRange ToPartialRange(RangePart part) => new(
        part.Kvs.Select(kv => new KeyValue(kv.Key, kv.Value, kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease)).ToArray(),
        part.Matched,
        part.Count,
        part.ReadRevision,
        part.CurrentRevision);
}
