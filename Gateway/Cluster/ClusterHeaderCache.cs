using System.Runtime.CompilerServices;
using EtcdOrleans.Contracts;
using EtcdOrleans.Gateway.Kv;

namespace EtcdOrleans.Gateway.Cluster;

/// <summary>
/// Keeps the response header values (cluster id, member id, Raft term, revision) current by asking the replica
/// believed to lead for its status once a second, so that filling a header never waits for the cluster.
/// </summary>
internal sealed partial class ClusterHeaderCache(IGrainFactory grains, LeaderRouter router, ILogger<ClusterHeaderCache> logger)
    : BackgroundService, IClusterHeaderSource
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(2);

    private StrongBox<ClusterHeader> _current = new(default);

    public ClusterHeader Current => Volatile.Read(ref _current).Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RefreshInterval);
        do
        {
            try
            {
                var status = await grains.GetGrain<IRaftReplicaGrain>((long)router.Leader).GetStatusAsync()
                    .WaitAsync(StatusTimeout, stoppingToken).ConfigureAwait(false);
                Volatile.Write(ref _current, new StrongBox<ClusterHeader>(
                    new ClusterHeader(status.ClusterId, status.ReplicaId, status.Term, status.Revision)));
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogRefreshFailed(e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refreshing the response header values failed: {Reason}")]
    private partial void LogRefreshFailed(string reason);
}
