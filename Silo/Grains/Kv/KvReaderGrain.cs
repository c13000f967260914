using EtcdOrleans.Contracts;
using EtcdOrleans.Grains.Ranges;
using EtcdOrleans.Grains.Replicas;
using EtcdOrleans.Mvcc;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Rpc = EtcdOrleans.Protos.Etcdserverpb;
using PbKv = EtcdOrleans.Protos.Mvccpb;

namespace EtcdOrleans.Grains.Kv;

/// <summary>
/// The read path. Linearizable: a read barrier at the leader, then every overlapping range grain at the barrier's
/// revision. Serializable: no consensus, the range grains at the lowest revision they all have. Either way one
/// revision for all parts, so the merged answer is one consistent snapshot.
/// </summary>
[StatelessWorker, Reentrant]
public sealed class KvReaderGrain(IOptions<EtcdOrleansSettings> settings, LeaderRouter router, Orleans.Serialization.Serializer serializer) : Grain, IKvReaderGrain
{
    private readonly KeySpace _keySpace = new(settings.Value.Ranges);

    private ulong ClusterId { get; } = ClusterIdentity.Of(settings.Value.ClusterId);

    public async Task<KvOutcome> RangeAsync(byte[] request, TimeSpan budget, long minRevision)
    {
        var deadline = DateTime.UtcNow + budget;
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
        HeaderStamp stamp;
        if (proto.Serializable)
        {
            // No consensus: the answer is as of what the range grains have, from the replica that last fed them.
            var statuses = await Task.WhenAll(ranges.Select(r => GrainFactory.GetGrain<IMvccRangeGrain>(r).GetStatusAsync()));
            revision = Math.Max(statuses.Min(s => s.Revision), minRevision);
            minAppliedIndex = 0;
            var newest = statuses.MaxBy(s => s.SourceTerm)!;
            source = newest.SourceReplica != 0 ? newest.SourceReplica : router.Leader;
            stamp = new HeaderStamp(ClusterId, source, newest.SourceTerm);
        }
        else
        {
            // A leader change during the round, a stopped or a slow replica leaves the read undone: ask again, at the
            // leader named (reads are idempotent), until the deadline.
            var barrier = await router.CallLeaderAsync(
                (replica, left) => replica.ReadIndexAsync(left),
                reply => reply.Error is KvError.NotLeader or KvError.NoLeader or KvError.LeaderChanged or KvError.Stopped or KvError.Timeout
                    ? reply.LeaderHint
                    : null,
                deadline,
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
            stamp = new HeaderStamp(ClusterId, source, answered.Reply.Term);
        }

        var left = LeaderRouter.TimeLeft(deadline);
        var parts = await Task.WhenAll(ranges.Select(r =>
            GrainFactory.GetGrain<IMvccRangeGrain>(r).RangeAsync(request, revision, minAppliedIndex, source, left)));
        foreach (var part in parts)
        {
            if (part.Error != KvError.None)
            {
                return KvOutcome.Failed(part.Error);
            }
        }

        var partials = new PartialRange[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            partials[i] = await ToPartialRangeAsync(parts[i]);
        }

        var merged = RangeMerger.Merge(mvccRequest, partials);
        var response = ProtoMapper.ToProto(merged);
        stamp.ApplyTo(response.Header);
        var bytes = response.ToByteArray();
        return bytes.Length <= ReplyBuffer.ChunkBytes
            ? KvOutcome.Ok(bytes, response.Header.Revision)
            : new KvOutcome(KvError.None, null, response.Header.Revision, await ReplyBuffer.StoreAsync(GrainFactory, bytes));
    }

    public async Task<KvOutcome> HistoryAsync(byte[] key, byte[] rangeEnd, long startRevision, long endRevision, TimeSpan budget)
    {
        var ranges = _keySpace.Overlapping(KeyRange.FromEtcd(key, rangeEnd)).ToArray();
        if (ranges.Length == 0)
        {
            ranges = [_keySpace.IndexOf(key)];
        }

        var parts = await Task.WhenAll(ranges.Select(r =>
            GrainFactory.GetGrain<IMvccRangeGrain>(r).HistoryAsync(key, rangeEnd, startRevision, endRevision, router.Leader, budget)));
        if (parts.FirstOrDefault(p => p.Error != KvError.None) is { } failed)
        {
            return new KvOutcome(failed.Error, null, parts.Max(p => p.CompactRevision));
        }

        // Each range's page may end at another revision: the merged page goes as far as all of them.
        var through = parts.Min(p => p.Through);
        var response = new Rpc.WatchResponse { Header = new Rpc.ResponseHeader { Revision = through } };
        var events = new List<HistoryEvent>();
        foreach (var part in parts)
        {
            events.AddRange(part.Buffered is { } buffered
                ? serializer.Deserialize<HistoryEvent[]>(await ReplyBuffer.ReadAsync(GrainFactory, buffered)) ?? []
                : part.Events);
        }

        foreach (var e in events.Where(e => e.Kv.ModRevision <= through).OrderBy(e => e.Kv.ModRevision).ThenBy(e => e.Sub))
        {
            response.Events.Add(new PbKv.Event
            {
                Type = e.IsDelete ? PbKv.Event.Types.EventType.Delete : PbKv.Event.Types.EventType.Put,
                Kv = ToProto(e.Kv),
                PrevKv = e.PrevKv is null ? null : ToProto(e.PrevKv),
            });
        }

        var bytes = response.ToByteArray();
        return bytes.Length <= ReplyBuffer.ChunkBytes
            ? KvOutcome.Ok(bytes, through)
            : new KvOutcome(KvError.None, null, through, await ReplyBuffer.StoreAsync(GrainFactory, bytes));
    }

    private static PbKv.KeyValue ToProto(RangeKv kv) =>
        ProtoMapper.ToProto(new KeyValue(kv.Key, kv.Value, kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease));

    private async Task<PartialRange> ToPartialRangeAsync(RangePart part)
    {
        var kvs = part.Buffered is { } buffered
            ? Rpc.RangeResponse.Parser.ParseFrom(await ReplyBuffer.ReadAsync(GrainFactory, buffered)).Kvs
                .Select(kv => new KeyValue(kv.Key.ToByteArray(), kv.Value.ToByteArray(), kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease))
                .ToArray()
            : part.Kvs.Select(kv => new KeyValue(kv.Key, kv.Value, kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease)).ToArray();
        return new PartialRange(kvs, part.Matched, part.Count, part.ReadRevision, part.CurrentRevision);
    }
}
