using System.Net;
using EtcdOrleans.Contracts;
using Orleans.Configuration;

namespace EtcdOrleans.Silo;

/// <summary>Turns a generic host into an EtcdOrleans silo.</summary>
internal static class SiloHostingExtensions
{
    /// <summary>Adds the Orleans silo with EtcdOrleans' clustering, ports and grain settings.</summary>
    public static IHostApplicationBuilder AddEtcdOrleansSilo(this IHostApplicationBuilder builder)
    {
        var settings = builder.Configuration.GetSection(EtcdOrleansSettings.SectionName).Get<EtcdOrleansSettings>() ?? new();
        var orleans = builder.Configuration.GetSection("Orleans");
        var siloPort = orleans.GetValue("SiloPort", EndpointOptions.DEFAULT_SILO_PORT);
        var gatewayPort = orleans.GetValue("GatewayPort", EndpointOptions.DEFAULT_GATEWAY_PORT);
        var advertisedAddress = IPAddress.Parse(orleans.GetValue("AdvertisedAddress", "127.0.0.1")!);

        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = settings.ClusterId;
                options.ServiceId = EtcdOrleansSettings.ServiceId;
            });
            silo.ConfigureEndpoints(advertisedAddress, siloPort, gatewayPort, listenOnAnyHostAddress: orleans.GetValue("ListenOnAnyAddress", false));
            silo.Services.AddFileMembershipTable(settings.MembershipDirectory);
            silo.Configure<ClusterMembershipOptions>(options =>
            {
                // Declare a dead silo dead within about six seconds (Orleans' default is over half a minute), so that
                // its replica and range grains re-activate elsewhere; two votes, so one slow silo cannot evict another.
                // Writes do not wait for this: the surviving replicas elect a new leader by Raft's own timeouts.
                options.ProbeTimeout = TimeSpan.FromSeconds(2);
                options.NumMissedProbesLimit = 3;
                options.NumVotesForDeathDeclaration = 2;
                options.TableRefreshTimeout = TimeSpan.FromSeconds(2);
                options.DefunctSiloExpiration = TimeSpan.FromMinutes(1);
            });

            // The strongly consistent directory: when a silo dies, the activations on the others keep their
            // registrations. With the default DHT directory, a replica whose directory entry lived on the dead silo
            // was activated a second time (its fence held), dropping its leadership and costing a second election.
#pragma warning disable ORLEANSEXP003 // experimental in Orleans 10
            silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
            silo.AddEtcdOrleansGrains(builder.Configuration);
        });
        return builder;
    }
}
