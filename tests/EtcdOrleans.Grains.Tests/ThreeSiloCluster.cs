using System.Collections.Concurrent;
using EtcdOrleans.Contracts;
using EtcdOrleans.Grains.Replicas;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace EtcdOrleans.Grains.Tests;

/// <summary>
/// An in-process Orleans cluster of three silos hosting the EtcdOrleans grains, with a fresh data directory.
/// Shared by the tests of one class; tests use their own key prefixes. A subclass may add silo settings.
/// </summary>
public class ThreeSiloCluster : IAsyncLifetime
{
    public const int Replicas = 3;

    private const string LinksProperty = "Test:ReplicaLinks";
    private static readonly ConcurrentDictionary<string, ReplicaLinks> LinksOfClusters = new();

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "etcd-orleans-grains-" + Guid.NewGuid().ToString("N"));
    private readonly string _linksKey = Guid.NewGuid().ToString("N");

    /// <summary>The links between this cluster's replicas: a test may cut one off (a partition between grains).</summary>
    public ReplicaLinks Links => LinksOfClusters.GetOrAdd(_linksKey, _ => new ReplicaLinks());

    public TestCluster Cluster { get; private set; } = null!;

    /// <summary>Where the silos keep their replicas' logs and the range grains' checkpoints.</summary>
    public string DataDirectory => _dataDirectory;

    /// <summary>Settings (configuration keys with ':') every silo gets besides the defaults.</summary>
    protected virtual IReadOnlyDictionary<string, string> SiloSettings { get; } = new Dictionary<string, string>();

    public KvTestClient Kv { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(3);
        builder.Properties[EtcdOrleansSettings.SectionName + ":DataDirectory"] = _dataDirectory;
        builder.Properties[EtcdOrleansSettings.SectionName + ":Replicas"] = Replicas.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Properties[EtcdOrleansSettings.SectionName + ":Ranges"] = "4";
        builder.Properties[LinksProperty] = _linksKey;
        foreach (var (key, value) in SiloSettings)
        {
            builder.Properties[key] = value;
        }

        _ = Links;
        // Membership in a shared directory, as the real silos keep it: no silo is special, any one may be killed.
        builder.Options.UseTestClusterMembership = false;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        Kv = new KvTestClient(Cluster.Client, new LeaderRouter(Cluster.Client, Replicas));
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        LinksOfClusters.TryRemove(_linksKey, out _);
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A silo that was killed may still hold a file for a moment; the temp folder is cleaned later.
        }
    }

    private static string MembershipDirectory(IConfiguration configuration) =>
        configuration.GetSection(EtcdOrleansSettings.SectionName).Get<EtcdOrleansSettings>()!.MembershipDirectory;

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.Services.AddFileGatewayList(MembershipDirectory(configuration));
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.Services.AddSingleton(LinksOfClusters[siloBuilder.Configuration[LinksProperty]!]);
            siloBuilder.AddEtcdOrleansGrains(siloBuilder.Configuration);
            siloBuilder.Services.AddFileMembershipTable(MembershipDirectory(siloBuilder.Configuration));
            siloBuilder.Configure<ClusterMembershipOptions>(options =>
            {
                // As the silo host: declare a killed silo dead within a few seconds.
                options.ProbeTimeout = TimeSpan.FromSeconds(1);
                options.NumMissedProbesLimit = 2;
                options.NumVotesForDeathDeclaration = 1;
            });
        }
    }
}
