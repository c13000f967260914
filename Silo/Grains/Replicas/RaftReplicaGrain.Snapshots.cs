using EtcdOrleans.Mvcc;
using EtcdOrleans.Raft;
using Microsoft.Extensions.Logging;

namespace EtcdOrleans.Grains.Replicas;

/// <summary>
/// Snapshots and log compaction (etcd's <c>--snapshot-count</c>): every <see cref="RaftSnapshotOptions.SnapshotCount"/>
/// applied entries (or <see cref="RaftSnapshotOptions.SnapshotLogBytes"/>) the applied state is written as a snapshot,
/// then the log below it, less a tail of <see cref="RaftSnapshotOptions.CatchUpEntries"/>, is dropped from memory and
/// disk. A follower behind the first index left pulls the leader's snapshot in pieces (<see cref="SnapshotReader"/>).
/// </summary>
public sealed partial class RaftReplicaGrain
{
    /// <summary>Snapshot saves, this replica's own and those received from a leader, one at a time and in index order.</summary>
    private readonly SemaphoreSlim _snapshotSaves = new(1, 1);

    private bool _snapshotting;

    /// <summary>The snapshot being taken (never faults): deactivation waits for it before closing the log.</summary>
    private Task _snapshotTask = Task.CompletedTask;
    private long _bytesSinceSnapshot;

    /// <summary>The index of the snapshot being pulled from a leader (0: none).</summary>
    private ulong _pullingSnapshot;

    /// <summary>Snapshots installed from a leader by this activation.</summary>
    private long _snapshotsInstalled;

    /// <summary>Starts a snapshot of the applied state when enough was applied since the last one.</summary>
    private void MaybeSnapshot()
    {
        var options = snapshots.Value;
        var since = _appliedIndex - Math.Min(_appliedIndex, _storage.Snapshot.Metadata.Index);
        if (_snapshotting || _halted is not null || since == 0 ||
            (since < (ulong)options.SnapshotCount && _bytesSinceSnapshot < options.SnapshotLogBytes))
        {
            return;
        }

        // Freezing is one pass over the index in this turn; serializing it runs on the thread pool meanwhile.
        _snapshotting = true;
        _bytesSinceSnapshot = 0;
        _snapshotTask = SnapshotAsync(_appliedIndex, _confState, _state.Freeze(), options.CatchUpEntries);
    }

    private async Task SnapshotAsync(ulong index, ConfState confState, FrozenCheckpoint frozen, int catchUpEntries)
    {
        try
        {
            var data = await Task.Run(frozen.ToArray);
            await _snapshotSaves.WaitAsync();
            try
            {
                if (index <= _storage.Snapshot.Metadata.Index || index < _storage.FirstIndex - 1)
                {
                    // A snapshot from the leader overtook this one.
                    return;
                }

                var snapshot = _storage.CreateSnapshot(index, confState, data);
                await _log.SaveSnapshotAsync(snapshot);
                var compactTo = index > (ulong)catchUpEntries ? index - (ulong)catchUpEntries : 0;
                _storage.CompactTo(compactTo);
                await _log.CompactAsync(compactTo);
                LogSnapshotTaken(_id, index, data.Length, _storage.FirstIndex);
            }
            finally
            {
                _snapshotSaves.Release();
            }
        }
        catch (Exception e)
        {
            // Nothing was compacted (that comes only after a durable save); the next interval tries again. A store
            // that faulted fails the ready loop's next save too, and the grain re-activates from disk.
            LogSnapshotFailed(e, _id, index);
        }
        finally
        {
            _snapshotting = false;
        }
    }

    /// <summary>Makes a snapshot received from the leader durable and installs it (a Ready's snapshot).</summary>
    private async Task InstallSnapshotAsync(Snapshot snapshot)
    {
        await _snapshotSaves.WaitAsync();
        try
        {
            await _log.SaveSnapshotAsync(snapshot);
            _storage.ApplySnapshot(snapshot);
            RestoreFromSnapshot(snapshot);
            _bytesSinceSnapshot = 0;
            _snapshotsInstalled++;
            LogSnapshotInstalled(_id, snapshot.Metadata.Index, snapshot.Data.Length);
        }
        finally
        {
            _snapshotSaves.Release();
        }
    }

    public Task<SnapshotPiece?> ReadSnapshotAsync(ulong index, long offset, int maxBytes)
    {
        var snapshot = _storage.Snapshot;
        if (snapshot.Metadata.Index != index || offset < 0 || offset > snapshot.Data.Length || maxBytes <= 0)
        {
            return Task.FromResult<SnapshotPiece?>(null);
        }

        var length = (int)Math.Min(maxBytes, snapshot.Data.Length - offset);
        return Task.FromResult<SnapshotPiece?>(new SnapshotPiece(snapshot.Data.Length, snapshot.Data.Slice((int)offset, length).ToArray()));
    }

    /// <summary>
    /// An InstallSnapshot as it is sent: metadata only, since a snapshot may be far larger than a message; the
    /// follower pulls the data (<see cref="ReceiveSnapshotAsync"/>).
    /// </summary>
    private static Message WithoutSnapshotData(Message message) =>
        message is { Type: MessageType.InstallSnapshot, Snapshot: { IsEmpty: false } snapshot }
            ? message with { Snapshot = snapshot with { Data = ReadOnlyMemory<byte>.Empty } }
            : message;

    /// <summary>
    /// True when <paramref name="message"/> is an InstallSnapshot whose data must first be pulled from its sender;
    /// the pull then steps the complete message. A snapshot already being pulled is not pulled twice.
    /// </summary>
    private bool PullsSnapshot(Message message)
    {
        if (message is not { Type: MessageType.InstallSnapshot, Snapshot: { IsEmpty: false, Data.IsEmpty: true } snapshot })
        {
            return false;
        }

        if (message.Term < _node.Term || snapshot.Metadata.Index <= _node.Commit)
        {
            // From a deposed leader (the core ignores it), or not needed (the core answers with its commit index,
            // which is what the leader must hear): no pull, which would also hold up the current leader's snapshot.
            return false;
        }

        if (snapshot.Metadata.Index > _pullingSnapshot)
        {
            _pullingSnapshot = snapshot.Metadata.Index;
            _ = ReceiveSnapshotAsync(message);
        }

        return true;
    }

    private async Task ReceiveSnapshotAsync(Message message)
    {
        var metadata = message.Snapshot!.Metadata;
        try
        {
            var data = await SnapshotReader.ReadAsync(Peer(message.From), metadata.Index);
            if (data is not null && _halted is null)
            {
                _node.Step(message with { Snapshot = new Snapshot(metadata, data) });
                Kick();
            }
        }
        catch (Exception e)
        {
            // The leader will send it again (it re-probes a follower that stays in the snapshot state).
            LogSnapshotPullFailed(e, _id, metadata.Index, message.From);
        }
        finally
        {
            if (_pullingSnapshot == metadata.Index)
            {
                _pullingSnapshot = 0;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {Replica} took a snapshot at index {Index} ({Bytes} bytes); the log now starts at {FirstIndex}")]
    private partial void LogSnapshotTaken(ulong replica, ulong index, int bytes, ulong firstIndex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {Replica} installed the leader's snapshot at index {Index} ({Bytes} bytes)")]
    private partial void LogSnapshotInstalled(ulong replica, ulong index, int bytes);

    [LoggerMessage(Level = LogLevel.Error, Message = "Replica {Replica}: the snapshot at index {Index} failed")]
    private partial void LogSnapshotFailed(Exception exception, ulong replica, ulong index);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {Replica}: pulling the snapshot at index {Index} from replica {Source} failed")]
    private partial void LogSnapshotPullFailed(Exception exception, ulong replica, ulong index, ulong source);
}
