namespace EtcdOrleans.Scenarios.Tests.Targets;

/// <summary>
/// A server under test that speaks etcd's v3 gRPC API. Every scenario runs unchanged against
/// each kind of target; the expectations are those of real etcd 3.4.
/// </summary>
public interface IEtcdTarget : IAsyncDisposable
{
    /// <summary>Short name shown in failure messages, e.g. "etcd-3.4" or "external".</summary>
    string Name { get; }

    /// <summary>Client URL, "http://127.0.0.1:port". Valid once <see cref="StartAsync"/> returned.</summary>
    string Endpoint { get; }

    /// <summary>
    /// Starts (or connects to) the target and returns once it answers KV requests.
    /// Throws with a clear message when the target cannot be started; never skips.
    /// </summary>
    Task StartAsync(CancellationToken cancellationToken);
}
