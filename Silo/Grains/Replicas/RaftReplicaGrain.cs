using System.Globalization;
using EtcdOrleans.Contracts;
using EtcdOrleans.Grains.Placement;
using EtcdOrleans.Grains.Ranges;
using EtcdOrleans.Grains.Watch;
using EtcdOrleans.Mvcc;
using EtcdOrleans.Raft;
using EtcdOrleans.ReplicaLog;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Placement;

namespace EtcdOrleans.Grains.Replicas;

/// <summary>
/// One Raft replica: a thin shell around <see cref="RaftNode"/> that persists to its <see cref="IReplicaLogStore"/>
/// before sending, sends over one-way grain calls, ticks from a grain timer, and applies committed effects to its
/// applied <see cref="MvccStore"/>. As leader it also sequences client requests (<see cref="Sequencer"/>) and
/// delivers applied effects to the range grains (<see cref="Applier"/>).
/// Reentrant: every entry point runs the core synchronously within one turn, so turns never see it half-changed,
/// and two replicas calling each other never wait on each other.
/// </summary>
[Reentrant, Immovable, ReplicaPlacement]
public sealed partial class RaftReplicaGrain(
    IOptions<EtcdOrleansSettings> settings,
    IOptions<RaftTimingOptions> timing,
    IOptions<RaftSnapshotOptions> snapshots,
    IOptions<AutoCompactionOptions> autoCompaction,
    ILocalSiloDetails silo,
    ReplicaLinks links,
    ReplicaHealth health,
    ILogger<RaftReplicaGrain> logger) : Grain, IRaftReplicaGrain, IRaftPeerGrain
{
    private ulong _id;
    private IReplicaLogStore _log = null!;
    private MemoryRaftStorage _storage = null!;
    private RaftNode _node = null!;
    private Applier _applier = null!;
    private ChangeFeedPublisher _changes = null!;
    private readonly Dictionary<ulong, IRaftPeerGrain> _peers = [];

    /// <summary>Committed effects applied so far: the state every replica agrees on.</summary>
    private MvccStore _state = new();
    private ulong _appliedIndex;
    private long _appliedRevision = 1;
    private ConfState _confState = ConfState.Empty;

    /// <summary>Why this replica stopped (it could not apply a committed entry); null while it runs.</summary>
    private string? _halted;

    /// <summary>The leader's speculative state; null on followers and while a new leader catches up.</summary>
    private Sequencer? _sequencer;

    /// <summary>
    /// The most bytes of entries applied in one go, or handed to a range grain in one page: batches stay far below
    /// Orleans' message size limit however large the values.
    /// </summary>
    private const ulong MaxAppliedBytesPerRead = 8 * 1024 * 1024;

    private ulong ClusterId => ClusterIdentity.Of(settings.Value.ClusterId);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _id = (ulong)this.GetPrimaryKeyLong();
        var replicas = settings.Value.Replicas;
        if (_id < 1 || _id > (ulong)replicas)
        {
            throw new InvalidOperationException($"replica {_id} is outside 1..{replicas}");
        }

        var directory = Path.Combine(settings.Value.DataDirectory, "replicas", _id.ToString(CultureInfo.InvariantCulture));
        _log = new FileReplicaLogStore(new FileReplicaLogOptions(directory) { SegmentSizeBytes = snapshots.Value.LogSegmentBytes });
        var recovered = await _log.OpenAsync(cancellationToken);
        try
        {
            StartFrom(recovered, replicas);
        }
        catch
        {
            // Let the next activation open the store again (it holds the directory's lock).
            await _log.DisposeAsync();
            throw;
        }
    }

    /// <summary>Loads what the store recovered into the core, and starts ticking.</summary>
    private void StartFrom(ReplicaLogRecovery recovered, int replicas)
    {
        var voters = Enumerable.Range(1, replicas).Select(i => (ulong)i).ToArray();
        _storage = recovered.Snapshot.IsEmpty ? new MemoryRaftStorage(new ConfState(voters, [])) : new MemoryRaftStorage();
        if (!recovered.Snapshot.IsEmpty)
        {
            _storage.ApplySnapshot(recovered.Snapshot);
            RestoreFromSnapshot(recovered.Snapshot);
        }

        _storage.Append(recovered.Entries);

        // A commit index is saved only along with entries or a vote, so the stored one may lag; a snapshot holds only
        // applied, hence committed, entries.
        var hardState = recovered.HardState;
        _storage.SetHardState(hardState with { Commit = Math.Max(hardState.Commit, recovered.Snapshot.Metadata.Index) });
        _confState = _storage.Snapshot.Metadata.ConfState;

        foreach (var peer in voters.Where(v => v != _id))
        {
            _peers[peer] = GrainFactory.GetGrain<IRaftPeerGrain>((long)peer);
        }

        var raftTiming = timing.Value;
        _node = new RaftNode(new RaftConfig
        {
            Id = _id,
            ElectionTicks = raftTiming.ElectionTicks,
            HeartbeatTicks = raftTiming.HeartbeatTicks,
            Seed = Random.Shared.Next(),
            MaxCommittedSizePerReady = MaxAppliedBytesPerRead,
        }, _storage);
        _applier = new Applier(GrainFactory, new KeySpace(settings.Value.Ranges), _id);
        _changes = new ChangeFeedPublisher(GrainFactory);

        this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions(raftTiming.TickInterval, raftTiming.TickInterval)
        {
            Interleave = true,
            KeepAlive = true,
        });
        LogActivated(_id, recovered.HardState.Term, recovered.LastIndex, recovered.HardState.Commit, recovered.Snapshot.Metadata.Index);
        Kick();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        FailAllWaiters(KvError.Stopped);
        await _snapshotTask;
        await _log.DisposeAsync();
    }

    private Task TickAsync(CancellationToken cancellationToken)
    {
        if (_halted is not null)
        {
            return Task.CompletedTask;
        }

        _node.Tick();
        Kick();
        TickAutoCompaction();
        return Task.CompletedTask;
    }

    public Task StepAsync(byte[] messages)
    {
        if (_halted is not null)
        {
            return Task.CompletedTask;
        }

        foreach (var message in RaftMessageCodec.Decode(messages))
        {
            if (!PullsSnapshot(message))
            {
                _node.Step(message);
            }
        }

        Kick();
        return Task.CompletedTask;
    }

    public Task<ReplicaStatus> GetStatusAsync() => Task.FromResult(new ReplicaStatus(
        _id, _node.Leader, _node.Term, _node.Commit, _appliedIndex, _appliedRevision, _state.CompactedRevision, ClusterId, silo.SiloAddress.ToString(),
        _storage.FirstIndex, _storage.Snapshot.Metadata.Index, _snapshotsInstalled));

    public Task<AppliedHash> HashAppliedAsync() =>
        Task.FromResult(new AppliedHash(_appliedIndex, _state.CurrentRevision, _state.CompactedRevision, _state.Hash()));

    public Task<AppliedLog> ReadAppliedAsync(ulong fromIndex, int maxEntries)
    {
        if (fromIndex < _storage.FirstIndex)
        {
            var snapshot = _storage.Snapshot.Metadata.Index;
            return Task.FromResult(new AppliedLog(snapshot + 1, snapshot, 0, [], snapshot));
        }

        var last = Math.Min(_appliedIndex, fromIndex + (ulong)maxEntries - 1);
        if (last < fromIndex)
        {
            return Task.FromResult(new AppliedLog(fromIndex, fromIndex - 1, 0, [], 0));
        }

        var effects = new List<byte[]>();
        long revision = 0;
        var entries = _storage.Entries(fromIndex, last + 1, MaxAppliedBytesPerRead);
        last = entries.Count > 0 ? entries[^1].Index : last;
        foreach (var entry in entries)
        {
            if (entry.Type == EntryType.Normal && !entry.Data.IsEmpty)
            {
                var bytes = entry.Data.ToArray();
                effects.Add(bytes);
                revision = Math.Max(revision, EffectCodec.Decode(bytes).Revision);
            }
        }

        return Task.FromResult(new AppliedLog(fromIndex, last, revision, effects.ToArray(), 0));
    }

    private void RestoreFromSnapshot(Snapshot snapshot)
    {
        using var stream = new MemoryStream(snapshot.Data.ToArray(), writable: false);
        _state = MvccStore.ReadCheckpoint(stream);
        _appliedIndex = snapshot.Metadata.Index;
        _appliedRevision = _state.CurrentRevision;
        _confState = snapshot.Metadata.ConfState;
    }

    private IRaftPeerGrain Peer(ulong id)
    {
        if (!_peers.TryGetValue(id, out var peer))
        {
            peer = GrainFactory.GetGrain<IRaftPeerGrain>((long)id);
            _peers[id] = peer;
        }

        return peer;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {Replica} activated: term {Term}, last index {LastIndex}, commit {Commit}, snapshot {SnapshotIndex}")]
    private partial void LogActivated(ulong replica, ulong term, ulong lastIndex, ulong commit, ulong snapshotIndex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {Replica} is now {Role} in term {Term} (leader {Leader})")]
    private partial void LogRoleChanged(ulong replica, RaftRole role, ulong term, ulong leader);

    [LoggerMessage(Level = LogLevel.Error, Message = "Replica {Replica}: the ready loop failed; deactivating")]
    private partial void LogReadyLoopFailed(Exception exception, ulong replica);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Replica {Replica} stopped: it cannot apply the committed entry at index {Index}. It takes no part in the group until restarted after the cause is fixed; the silo's health check reports it.")]
    private partial void LogReplicaHalted(Exception exception, ulong replica, ulong index);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {Replica}: sending to {Peer} failed")]
    private partial void LogSendFailed(Exception exception, ulong replica, ulong peer);
}
