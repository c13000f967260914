using EtcdOrleans.Contracts;
using EtcdOrleans.Grains.Placement;
using EtcdOrleans.Grains.Replicas;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Orleans.Hosting;

/// <summary>Registers what the EtcdOrleans grains need in a silo.</summary>
public static class GrainsHostingExtensions
{
    public static ISiloBuilder AddEtcdOrleansGrains(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Services.AddOptions<EtcdOrleansSettings>().Bind(configuration.GetSection(EtcdOrleansSettings.SectionName));
        silo.Services.AddOptions<RaftTimingOptions>().Bind(configuration.GetSection(EtcdOrleansSettings.SectionName + ":Raft"));
        silo.Services.AddOptions<RaftSnapshotOptions>().Bind(configuration.GetSection(EtcdOrleansSettings.SectionName + ":Snapshots"));
        silo.Services.AddOptions<AutoCompactionOptions>().Bind(configuration.GetSection(EtcdOrleansSettings.SectionName + ":AutoCompaction"))
            .Validate(AutoCompactionOptions.IsValid, "EtcdOrleans:AutoCompaction: Mode is periodic or revision; Retention a duration (periodic) or a number of revisions").ValidateOnStart();
        silo.Services.AddSingleton(sp => new LeaderRouter(sp.GetRequiredService<IGrainFactory>(), sp.GetRequiredService<IOptions<EtcdOrleansSettings>>().Value.Replicas));
        silo.Services.AddPlacementDirector<ReplicaPlacement, ReplicaPlacementDirector>();
        silo.Services.AddHostedService<ReplicaKeeper>();
        silo.Services.TryAddSingleton<ReplicaLinks>();
        silo.Services.AddSingleton<ReplicaHealth>();
        silo.Services.AddHealthChecks().AddCheck<ReplicaHealth>("raft-replicas");
        return silo;
    }
}
