namespace EtcdOrleans.Scenarios.Tests.Targets;

/// <summary>
/// Chooses the server under test (the "...OnTarget" test classes) from <c>ETCD_SCENARIO_TARGET</c>:
/// <c>orleans</c> (the default: <see cref="EtcdOrleansTarget"/>, three silos and a gateway from this build),
/// <c>external</c> (<see cref="ExternalEtcdTarget"/>, a server somebody else started) or <c>etcd</c>
/// (<see cref="RealEtcdTarget"/>, to check the suite itself). The "...OnEtcd" classes always run against a real
/// etcd 3.4, the oracle. A new kind of target is one class implementing <see cref="IEtcdTarget"/> plus one line here.
/// </summary>
public static class EtcdTargets
{
    public const string KindVariable = "ETCD_SCENARIO_TARGET";

    public static string Kind => Environment.GetEnvironmentVariable(KindVariable) is { Length: > 0 } kind
        ? kind.Trim().ToLowerInvariant()
        : "orleans";

    public static IEtcdTarget Create() => Kind switch
    {
        "orleans" => new EtcdOrleansTarget(),
        "external" => new ExternalEtcdTarget(),
        "etcd" => new RealEtcdTarget(),
        var other => throw new InvalidOperationException(
            $"Unknown {KindVariable}='{other}'. Known kinds: orleans (the default), external, etcd."),
    };
}
