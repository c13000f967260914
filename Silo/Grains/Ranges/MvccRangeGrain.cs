using EtcdOrleans.Contracts;
using EtcdOrleans.Grains.Kv;
using EtcdOrleans.Grains.Replicas;
using EtcdOrleans.Mvcc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Google.Protobuf;
using Rpc = EtcdOrleans.Protos.Etcdserverpb;

namespace EtcdOrleans.Grains.Ranges;

/// <summary>
/// Holds every revision of one key range in an <see cref="MvccStore"/>. Recovers from its last checkpoint; whatever
/// the checkpoint lacks it pulls from a replica (<see cref="IRaftPeerGrain.ReadAppliedAsync"/>), so it needs no
/// cooperation from the applier beyond the batches it is sent.
/// </summary>
[PreferLocalPlacement]
public sealed partial class MvccRangeGrain(
    IOptions<EtcdOrleansSettings> settings,
    Orleans.Serialization.Serializer serializer,
    ILogger<MvccRangeGrain> logger) : Grain, IMvccRangeGrain
{
    private const int CatchUpPage = 10_000;
    private const ulong CheckpointEveryEntries = 20_000;

    /// <summary>How long a batch from the applier may spend pulling a gap it skips over.</summary>
    private static readonly TimeSpan ApplyCatchUpTimeout = TimeSpan.FromSeconds(5);

    private MvccStore _store = null!;
    private ulong _appliedIndex;
    private ulong _checkpointedIndex;
    private RangeCheckpointFile _checkpoint = null!;
    private Task? _catchUp;
    private ulong _sourceReplica;
    private ulong _sourceTerm;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var keySpace = new KeySpace(settings.Value.Ranges);
        var index = (int)this.GetPrimaryKeyLong();
        var ownedRange = keySpace.RangeOf(index);
        _checkpoint = new RangeCheckpointFile(Path.Combine(settings.Value.DataDirectory, "ranges", index.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var loaded = await _checkpoint.LoadAsync(ownedRange, cancellationToken);
        (_store, _appliedIndex) = loaded ?? (new MvccStore(ownedRange), 0UL);
        _checkpointedIndex = _appliedIndex;
        LogActivated(index, _appliedIndex, _store.CurrentRevision);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_appliedIndex > _checkpointedIndex)
        {
            await _checkpoint.SaveAsync(_store.Freeze(), _appliedIndex, cancellationToken);
        }
    }

    public async Task ApplyAsync(AppliedBatch batch)
    {
        if (batch.LastIndex <= _appliedIndex)
        {
            return;
        }

        if (batch.FirstIndex > _appliedIndex + 1)
        {
            await CatchUpAsync(batch.FirstIndex - 1, 0, batch.SourceReplica, ApplyCatchUpTimeout);
            if (batch.LastIndex <= _appliedIndex)
            {
                return;
            }
        }

        Apply(batch.Effects, batch.Revision, batch.LastIndex);
        (_sourceReplica, _sourceTerm) = (batch.SourceReplica, batch.SourceTerm);
        if (_appliedIndex - _checkpointedIndex >= CheckpointEveryEntries)
        {
            var index = _appliedIndex;
            await _checkpoint.SaveAsync(_store.Freeze(), index, CancellationToken.None);
            _checkpointedIndex = index;
        }
    }

    public async Task<RangePart> RangeAsync(byte[] request, long revision, ulong minAppliedIndex, ulong sourceReplica, TimeSpan budget)
    {
        if (_appliedIndex < minAppliedIndex || _store.CurrentRevision < revision)
        {
            try
            {
                await CatchUpAsync(minAppliedIndex, revision, sourceReplica, budget);
            }
            catch (TimeoutException)
            {
                return new RangePart(KvError.Timeout, [], 0, 0, 0, _store.CurrentRevision);
            }
        }

        var mvccRequest = ProtoMapper.ToMvcc(Rpc.RangeRequest.Parser.ParseFrom(request));
        try
        {
            var part = _store.RangePartial(mvccRequest, revision > 0 ? revision : _store.CurrentRevision);
            long bytes = 0;
            foreach (var kv in part.Kvs)
            {
                bytes += kv.Key.Length + kv.Value.Length;
            }

            if (bytes > ReplyBuffer.ChunkBytes)
            {
                // Too large for one message: leave the key-values in a buffer in this silo for the reader to take.
                var encoded = new Rpc.RangeResponse();
                foreach (var kv in part.Kvs)
                {
                    encoded.Kvs.Add(ProtoMapper.ToProto(kv));
                }

                var buffered = await ReplyBuffer.StoreAsync(GrainFactory, encoded.ToByteArray());
                return new RangePart(KvError.None, [], part.Matched, part.Count, part.ReadRevision, part.CurrentRevision, buffered);
            }

            var kvs = new RangeKv[part.Kvs.Count];
            for (var i = 0; i < kvs.Length; i++)
            {
                var kv = part.Kvs[i];
                kvs[i] = new RangeKv(kv.Key, kv.Value, kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease);
            }

            return new RangePart(KvError.None, kvs, part.Matched, part.Count, part.ReadRevision, part.CurrentRevision);
        }
        catch (MvccException e)
        {
            return new RangePart(KvErrors.From(e.Error), [], 0, 0, 0, _store.CurrentRevision);
        }
    }

    public async Task<HistoryPart> HistoryAsync(byte[] key, byte[] rangeEnd, long startRevision, long endRevision, ulong sourceReplica, TimeSpan budget)
    {
        if (_store.CurrentRevision < endRevision)
        {
            try
            {
                await CatchUpAsync(0, endRevision, sourceReplica, budget);
            }
            catch (TimeoutException)
            {
                return new HistoryPart(KvError.Timeout, [], 0, 0);
            }
        }

        try
        {
            // Half a chunk of keys and values: with previous values and framing the page stays within one message.
            var page = _store.History(KeyRange.FromEtcd(key, rangeEnd), startRevision, endRevision, includePrevKv: true, maxEvents: 10_000, maxBytes: ReplyBuffer.ChunkBytes / 2);
            var events = new HistoryEvent[page.Events.Count];
            long bytes = 0;
            for (var i = 0; i < events.Length; i++)
            {
                var e = page.Events[i];
                events[i] = new HistoryEvent(e.Type == WatchEventType.Delete, ToRangeKv(e.Kv), e.PrevKv is null ? null : ToRangeKv(e.PrevKv), e.Revision.Sub);
                bytes += e.Kv.Key.Length + e.Kv.Value.Length + (e.PrevKv is null ? 0 : e.PrevKv.Key.Length + e.PrevKv.Value.Length);
            }

            if (bytes > ReplyBuffer.ChunkBytes)
            {
                // One revision larger than a message (a delete of many large values): leave it in a buffer here.
                var buffered = await ReplyBuffer.StoreAsync(GrainFactory, serializer.SerializeToArray(events));
                return new HistoryPart(KvError.None, [], page.Through, _store.CompactedRevision, buffered);
            }

            return new HistoryPart(KvError.None, events, page.Through, _store.CompactedRevision);
        }
        catch (MvccException e) when (e.Error == MvccError.Compacted)
        {
            return new HistoryPart(KvError.Compacted, [], 0, _store.CompactedRevision);
        }
    }

    private static RangeKv ToRangeKv(KeyValue kv) => new(kv.Key, kv.Value, kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease);

    public Task<RangeStatus> GetStatusAsync() =>
        Task.FromResult(new RangeStatus(_appliedIndex, _store.CurrentRevision, _store.CompactedRevision, _sourceReplica, _sourceTerm));

    private void Apply(byte[][] effects, long revisionAfter, ulong lastIndex)
    {
        foreach (var encoded in effects)
        {
            var effect = EffectCodec.Decode(encoded);
            if (effect.CreatesRevision && effect.Revision > _store.CurrentRevision + 1)
            {
                // The revisions in between touched no key of this range.
                _store.AdvanceTo(effect.Revision - 1);
            }

            if (_store.Apply(effect) && effect.Kind == EffectKind.Compaction)
            {
                MemoryReclaimer.Compacted();
            }
        }

        if (revisionAfter > _store.CurrentRevision)
        {
            _store.AdvanceTo(revisionAfter);
        }

        _appliedIndex = Math.Max(_appliedIndex, lastIndex);
    }

    /// <summary>
    /// Pulls the applied log from a replica until this range has applied <paramref name="targetIndex"/> and reached
    /// <paramref name="targetRevision"/>, for at most <paramref name="timeout"/> (then <see cref="TimeoutException"/>).
    /// One pull at a time, shared by all waiting.
    /// </summary>
    private async Task CatchUpAsync(ulong targetIndex, long targetRevision, ulong sourceReplica, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_appliedIndex < targetIndex || _store.CurrentRevision < targetRevision)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"range {this.GetPrimaryKeyLong()} could not reach index {targetIndex}, revision {targetRevision} (at {_appliedIndex}, {_store.CurrentRevision})");
            }

            if (_catchUp is not { IsCompleted: false })
            {
                _catchUp = PullOnceAsync(sourceReplica);
            }

            await _catchUp.WaitAsync(left);
        }
    }

    private async Task PullOnceAsync(ulong sourceReplica)
    {
        var source = GrainFactory.GetGrain<IRaftPeerGrain>((long)sourceReplica);
        var log = await source.ReadAppliedAsync(_appliedIndex + 1, CatchUpPage);
        if (log.SnapshotIndex != 0)
        {
            // The entries were compacted away: take this range's part of the replica's snapshot that replaced them.
            var checkpoint = await SnapshotReader.ReadAsync(source, log.SnapshotIndex);
            if (checkpoint is null || log.SnapshotIndex <= _appliedIndex)
            {
                return;
            }

            using var stream = new MemoryStream(checkpoint, writable: false);
            _store = MvccStore.ReadCheckpoint(stream).CloneRange(_store.OwnedRange);
            _appliedIndex = log.SnapshotIndex;
            LogCaughtUpFromSnapshot(this.GetPrimaryKeyLong(), _appliedIndex);
            return;
        }

        if (log.LastIndex < log.FirstIndex)
        {
            // The source has not applied that far yet; give it a moment.
            await Task.Delay(5);
            return;
        }

        Apply(log.Effects, log.Revision, log.LastIndex);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Range {Range} activated at applied index {Index}, revision {Revision}")]
    private partial void LogActivated(int range, ulong index, long revision);

    [LoggerMessage(Level = LogLevel.Information, Message = "Range {Range} caught up from a snapshot at index {Index}")]
    private partial void LogCaughtUpFromSnapshot(long range, ulong index);
}
