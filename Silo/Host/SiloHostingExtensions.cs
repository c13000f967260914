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
                // Declare a dead silo dead quickly so its replica re-activates elsewhere within a few seconds.
                options.ProbeTimeout = TimeSpan.FromSeconds(1);
                options.NumMissedProbesLimit = 2;
                options.NumVotesForDeathDeclaration = 1;
                options.TableRefreshTimeout = TimeSpan.FromSeconds(2);
                options.DefunctSiloExpiration = TimeSpan.FromMinutes(1);
            });
            silo.AddEtcdOrleansGrains(builder.Configuration);
        });
        return builder;
    }
}
