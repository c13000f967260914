using EtcdOrleans.Scenarios.Tests.Support;

namespace EtcdOrleans.Scenarios.Tests.Targets;

/// <summary>
/// EtcdOrleans started from this build's outputs (<see cref="LocalEtcdOrleans"/>): three silos and a gateway on a
/// fresh data directory. Disposing kills every process tree and deletes the directory (set
/// <c>ETCD_SCENARIO_KEEP_DIRECTORY=1</c> to keep it for a post-mortem).
/// </summary>
public sealed class EtcdOrleansTarget : IEtcdTarget
{
    public const string KeepDirectoryVariable = "ETCD_SCENARIO_KEEP_DIRECTORY";
    private const int MaxAttempts = 3;

    private LocalEtcdOrleans? _system;

    public string Name => "EtcdOrleans";

    public string Endpoint => _system?.Endpoint ?? throw new InvalidOperationException("The target has not been started.");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            _system = new LocalEtcdOrleans();
            try
            {
                await _system.StartAsync(cancellationToken);
                return;
            }
            catch (InvalidOperationException) when (attempt < MaxAttempts && _system.LostAPort)
            {
                // Another process took one of the ports between choosing and binding it: start over on new ports.
                await _system.DisposeAsync();
            }
        }
    }

    public ValueTask DisposeAsync() => _system?.DisposeAsync() ?? ValueTask.CompletedTask;
}
