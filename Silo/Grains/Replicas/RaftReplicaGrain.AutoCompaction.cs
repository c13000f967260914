using EtcdOrleans.Contracts;
using EtcdOrleans.Raft;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Rpc = EtcdOrleans.Protos.Etcdserverpb;

namespace EtcdOrleans.Grains.Replicas;

/// <summary>
/// Auto-compaction (<see cref="AutoCompactionOptions"/>): the leader, and only the leader, proposes compactions as a
/// client would, when its compactor says so; a new leader starts a new compactor, as etcd resumes its compactor.
/// </summary>
public sealed partial class RaftReplicaGrain
{
    private static readonly TimeSpan AutoCompactionTimeout = TimeSpan.FromSeconds(7);

    private IAutoCompactor? _compactor;

    /// <summary>Called every tick.</summary>
    private void TickAutoCompaction()
    {
        if (_node.Role != RaftRole.Leader || _sequencer is null)
        {
            _compactor = null;
            return;
        }

        var now = DateTime.UtcNow;
        _compactor ??= autoCompaction.Value.CreateCompactor(now);
        if (_compactor?.Due(now, _appliedRevision) is { } revision)
        {
            _ = AutoCompactAsync(_compactor, revision);
        }
    }

    private async Task AutoCompactAsync(IAutoCompactor compactor, long revision)
    {
        var request = new Rpc.CompactionRequest { Revision = revision }.ToByteArray();
        var outcome = (await ProposeAsync([new KvCommand(KvOperation.Compact, request)], AutoCompactionTimeout)).Outcomes[0];
        var succeeded = outcome.Error is KvError.None or KvError.Compacted;
        compactor.Completed(DateTime.UtcNow, revision, succeeded);
        if (succeeded)
        {
            LogAutoCompacted(_id, revision);
        }
        else
        {
            LogAutoCompactionFailed(_id, revision, outcome.Error);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {Replica} auto-compacted to revision {Revision}")]
    private partial void LogAutoCompacted(ulong replica, long revision);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {Replica}: auto-compaction to revision {Revision} failed ({Error}); it is tried again")]
    private partial void LogAutoCompactionFailed(ulong replica, long revision, KvError error);
}
