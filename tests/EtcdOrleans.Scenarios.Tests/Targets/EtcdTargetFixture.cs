using System.Runtime.CompilerServices;
using dotnet_etcd;
using EtcdOrleans.Scenarios.Tests.Support;

namespace EtcdOrleans.Scenarios.Tests.Targets;

/// <summary>
/// Starts one target before the first test that uses it and stops it after the last. Tests that share a
/// fixture run one after another (xunit runs the tests of a class, and of a collection, sequentially), so
/// revision arithmetic relative to a baseline read at scenario start is exact.
/// </summary>
public abstract class EtcdTargetFixture : IAsyncLifetime
{
    private IEtcdTarget? target;
    private EtcdClient? client;

    public IEtcdTarget Target => target ?? throw new InvalidOperationException("The fixture has not been initialized.");

    /// <summary>dotnet-etcd client connected to the target.</summary>
    public EtcdClient Client => client ?? throw new InvalidOperationException("The fixture has not been initialized.");

    /// <summary>etcdctl 3.4 pointed at the target.</summary>
    public EtcdctlRunner Etcdctl => new(Target.Endpoint);

    /// <summary>The target this fixture starts; called once.</summary>
    protected abstract IEtcdTarget CreateTarget();

    /// <summary>How long starting may take before the fixture (and so every test using it) fails.</summary>
    protected abstract TimeSpan StartTimeout { get; }

    public async Task InitializeAsync()
    {
        var created = CreateTarget();
        using var startTimeout = new CancellationTokenSource(StartTimeout);
        try
        {
            await created.StartAsync(startTimeout.Token);
        }
        catch (OperationCanceledException e) when (startTimeout.IsCancellationRequested)
        {
            await created.DisposeAsync();
            throw new TimeoutException($"{created.Name} did not start within {StartTimeout.TotalSeconds} s.", e);
        }
        catch
        {
            await created.DisposeAsync();
            throw;
        }

        target = created;
        client = EtcdClients.Create(created.Endpoint);
    }

    public async Task DisposeAsync()
    {
        client?.Dispose();
        client = null;
        if (target is not null)
        {
            await target.DisposeAsync();
            target = null;
        }
    }

    /// <summary>
    /// Starts a scenario: a key prefix no other scenario uses, and the store's revision now.
    /// </summary>
    public async Task<Scenario> BeginAsync([CallerMemberName] string name = "")
    {
        var prefix = $"/scenario/{name}/{Guid.NewGuid():N}/";
        var baseline = await Scenario.CurrentRevisionAsync(Client, prefix);
        return new Scenario(Client, Target, prefix, baseline);
    }
}

/// <summary>
/// The reference: a fresh single-member etcd 3.4 for each test class that uses it (as an
/// <see cref="IClassFixture{TFixture}"/>), so those classes run in parallel without seeing each other.
/// </summary>
public sealed class EtcdFixture : EtcdTargetFixture
{
    protected override IEtcdTarget CreateTarget() => new RealEtcdTarget();

    protected override TimeSpan StartTimeout => TimeSpan.FromSeconds(90);
}

/// <summary>
/// The server under test, chosen by <c>ETCD_SCENARIO_TARGET</c> (<see cref="EtcdTargets"/>): EtcdOrleans by
/// default. One instance serves every test class of the <see cref="TargetCollection"/>, one class after another.
/// </summary>
public sealed class TargetFixture : EtcdTargetFixture
{
    protected override IEtcdTarget CreateTarget() => EtcdTargets.Create();

    // Three silos and a gateway start, form a cluster and elect a leader: generous on a loaded 2-core machine.
    protected override TimeSpan StartTimeout => TimeSpan.FromMinutes(4);
}

/// <summary>
/// Every "...OnTarget" test class: they share one <see cref="TargetFixture"/> (starting a cluster per class would
/// cost minutes) and so run sequentially. Whole-keyspace and compaction scenarios are safe here for that reason.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TargetCollection : ICollectionFixture<TargetFixture>
{
    public const string Name = "Server under test";
}
