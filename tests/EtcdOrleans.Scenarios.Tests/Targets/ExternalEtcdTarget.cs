namespace EtcdOrleans.Scenarios.Tests.Targets;

/// <summary>
/// A target that somebody else started: its client URL comes from the environment variable
/// <c>ETCD_SCENARIO_ENDPOINT</c>. The suite neither starts nor stops it. Scenarios use unique key
/// prefixes, but some (the whole-keyspace ones, compaction) touch the store globally, so point it
/// only at a throwaway store (see README.md). The "...OnTarget" classes using it run one after another.
/// </summary>
public sealed class ExternalEtcdTarget : IEtcdTarget
{
    public const string EndpointVariable = "ETCD_SCENARIO_ENDPOINT";

    private string? endpoint;

    public string Name => "external";

    public string Endpoint => endpoint ?? throw new InvalidOperationException("The target has not been started.");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var value = Environment.GetEnvironmentVariable(EndpointVariable);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                $"The external target needs {EndpointVariable}=http://host:port (the client URL of the server under test).");
        }

        endpoint = value.TrimEnd('/');
        await TargetProbe.WaitUntilAnswersAsync(endpoint, TimeSpan.FromSeconds(30), () => null, cancellationToken);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
