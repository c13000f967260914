using EtcdOrleans.Clustering;
using Orleans;
using Orleans.Messaging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers file-directory clustering: the membership table on silos, the gateway list on clients.</summary>
public static class FileClusteringExtensions
{
    /// <summary>Silo side: keep the membership table in <paramref name="directory"/>.</summary>
    public static IServiceCollection AddFileMembershipTable(this IServiceCollection services, string directory)
    {
        services.Configure<FileClusteringOptions>(options => options.Directory = directory);
        return services.AddSingleton<IMembershipTable, FileMembershipTable>();
    }

    /// <summary>Client side: find the silos' gateways in the membership table in <paramref name="directory"/>.</summary>
    public static IServiceCollection AddFileGatewayList(this IServiceCollection services, string directory)
    {
        services.Configure<FileClusteringOptions>(options => options.Directory = directory);
        return services.AddSingleton<IGatewayListProvider, FileGatewayListProvider>();
    }
}
