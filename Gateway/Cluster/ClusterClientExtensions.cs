using EtcdOrleans.Contracts;
using EtcdOrleans.Gateway.Kv;
using EtcdOrleans.Gateway.Lease;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace EtcdOrleans.Gateway.Cluster;

/// <summary>Connects the gateway to the silos as an Orleans client and registers the cluster-backed services.</summary>
public static class ClusterClientExtensions
{
    private static readonly TimeSpan ConnectRetryDelay = TimeSpan.FromSeconds(1);

    public static IHostApplicationBuilder AddEtcdOrleansCluster(this IHostApplicationBuilder builder)
    {
        var settings = builder.Configuration.GetSection(EtcdOrleansSettings.SectionName).Get<EtcdOrleansSettings>() ?? new();
        builder.Services.AddOptions<EtcdOrleansSettings>().Bind(builder.Configuration.GetSection(EtcdOrleansSettings.SectionName));
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = settings.ClusterId;
                options.ServiceId = EtcdOrleansSettings.ServiceId;
            });
            client.Services.AddFileGatewayList(settings.MembershipDirectory);

            // The silos may start after the gateway (or be restarting): keep trying rather than exit.
            client.UseConnectionRetryFilter(async (_, cancellationToken) =>
            {
                await Task.Delay(ConnectRetryDelay, cancellationToken);
                return !cancellationToken.IsCancellationRequested;
            });
        });

        builder.Services.AddSingleton(sp => new LeaderRouter(
            sp.GetRequiredService<IGrainFactory>(), sp.GetRequiredService<IOptions<EtcdOrleansSettings>>().Value.Replicas));
        builder.Services.AddSingleton<ProposalBatcher>();
        builder.Services.AddSingleton<IKvBackend, OrleansKvBackend>();
        builder.Services.AddSingleton<ILeaseBackend, OrleansLeaseBackend>();
        builder.Services.AddSingleton<ClusterHeaderCache>();
        builder.Services.AddSingleton<IClusterHeaderSource>(sp => sp.GetRequiredService<ClusterHeaderCache>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ClusterHeaderCache>());
        builder.Services.AddSingleton<Watch.WatchHub>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Watch.WatchHub>());
        return builder;
    }
}
