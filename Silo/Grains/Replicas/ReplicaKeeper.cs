using EtcdOrleans.Contracts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace EtcdOrleans.Grains.Replicas;

/// <summary>
/// Keeps every Raft replica activated: each silo asks each replica for its status every second. A replica whose silo
/// died is thereby re-activated on a live one as soon as Orleans declares the old silo dead, and a freshly started
/// cluster elects a leader without waiting for the first client.
/// A starting cluster waits until it has a silo per replica (or <see cref="StartupGrace"/> has passed, for clusters
/// with fewer silos than replicas), so that the first activations spread one replica per silo.
/// </summary>
internal sealed partial class ReplicaKeeper(
    IGrainFactory grains,
    IClusterMembershipService membership,
    IOptions<EtcdOrleansSettings> settings,
    ILogger<ReplicaKeeper> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StartupGrace = TimeSpan.FromSeconds(20);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        var waitUntil = DateTime.UtcNow + StartupGrace;
        while (ActiveSilos() < settings.Value.Replicas && DateTime.UtcNow < waitUntil)
        {
            await timer.WaitForNextTickAsync(stoppingToken);
        }

        do
        {
            for (var replica = 1; replica <= settings.Value.Replicas; replica++)
            {
                try
                {
                    await grains.GetGrain<IRaftReplicaGrain>(replica).GetStatusAsync().WaitAsync(Interval, stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogReplicaUnreachable(replica, e.GetType().Name);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private int ActiveSilos() => membership.CurrentSnapshot.Members.Values.Count(member => member.Status == SiloStatus.Active);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Replica {Replica} did not answer its keeper: {Error}")]
    private partial void LogReplicaUnreachable(int replica, string error);
}
