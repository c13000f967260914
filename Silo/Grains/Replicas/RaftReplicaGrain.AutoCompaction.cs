using EtcdOrleans.Contracts;
using EtcdOrleans.Raft;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Rpc = EtcdOrleans.Protos.Etcdserverpb;

namespace EtcdOrleans.Grains.Replicas;

/// <summary>
/// Auto-compaction (<see cref="AutoCompactionOptions"/>): every replica samples from its activation on, and the leader,
/// and only the leader, proposes compactions as a client would, when its compactor says so (etcd pauses its compactor
/// on followers and resumes it on the leader, with its samples and the time of its last success).
/// </summary>
public sealed partial class RaftReplicaGrain
{
    private static readonly TimeSpan AutoCompactionTimeout = TimeSpan.FromSeconds(7);

    private IAutoCompactor? _compactor;
    private bool _compactorCreated;

    /// <summary>Called every tick.</summary>
    private void TickAutoCompaction()
    {
        var now = DateTime.UtcNow;
        if (!_compactorCreated)
        {
            _compactor = autoCompaction.Value.CreateCompactor(now);
            _compactorCreated = true;
        }

        var leading = _node.Role == RaftRole.Leader && _sequencer is not null;
        if (_compactor?.Due(now, _appliedRevision, leading) is { } revision)
        {
            _ = AutoCompactAsync(_compactor, revision);
        }
    }

    private async Task AutoCompactAsync(IAutoCompactor compactor, long revision)
    {
        var error = KvError.Stopped;
        try
        {
            var request = new Rpc.CompactionRequest { Revision = revision }.ToByteArray();
            error = (await ProposeAsync([new KvCommand(KvOperation.Compact, request)], AutoCompactionTimeout)).Outcomes[0].Error;
        }
        finally
        {
            var succeeded = error is KvError.None or KvError.Compacted;
            compactor.Completed(DateTime.UtcNow, revision, succeeded);
            if (succeeded)
            {
                LogAutoCompacted(_id, revision);
            }
            else
            {
                LogAutoCompactionFailed(_id, revision, error);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {Replica} auto-compacted to revision {Revision}")]
    private partial void LogAutoCompacted(ulong replica, long revision);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {Replica}: auto-compaction to revision {Revision} failed ({Error}); it is tried again")]
    private partial void LogAutoCompactionFailed(ulong replica, long revision, KvError error);
}
