using EtcdOrleans.Contracts;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace EtcdOrleans.Grains.Placement;

/// <summary>
/// Places Raft replica <c>n</c> on the <c>(n-1) mod S</c>-th of the S compatible silos, ordered by address, so that
/// with at least as many silos as replicas every replica gets a silo of its own. Placement only happens when an
/// activation is created: replicas never move afterwards (they are also <c>[Immovable]</c>).
/// </summary>
[Serializable, GenerateSerializer, Immutable, Alias("etcd.replica-placement")]
public sealed class ReplicaPlacement : PlacementStrategy;

/// <summary>Marks a grain class for <see cref="ReplicaPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ReplicaPlacementAttribute() : PlacementAttribute(new ReplicaPlacement());

/// <summary>
/// Chooses the silo for a new replica activation. While a cluster is starting, silos join one by one: a replica
/// placed then would share a silo with another for good, so placement waits (up to <see cref="JoinWait"/>) until
/// there are as many silos as replicas. A cluster with fewer silos than replicas waits once per activation.
/// </summary>
public sealed class ReplicaPlacementDirector(IOptions<EtcdOrleansSettings> settings) : IPlacementDirector
{
    private static readonly TimeSpan JoinWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan JoinPoll = TimeSpan.FromMilliseconds(200);

    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var deadline = DateTime.UtcNow + JoinWait;
        var silos = CompatibleSilos(target, context);
        while (silos.Length < settings.Value.Replicas && DateTime.UtcNow < deadline)
        {
            await Task.Delay(JoinPoll);
            silos = CompatibleSilos(target, context);
        }

        if (silos.Length == 0)
        {
            throw new OrleansException("no silo can host a Raft replica");
        }

        var replicaId = target.GrainIdentity.GetIntegerKey();
        var index = (int)((replicaId - 1) % silos.Length + silos.Length) % silos.Length;
        return silos[index];
    }

    private static SiloAddress[] CompatibleSilos(PlacementTarget target, IPlacementContext context) =>
        context.GetCompatibleSilos(target)
            .OrderBy(silo => silo.Endpoint.Address.ToString(), StringComparer.Ordinal)
            .ThenBy(silo => silo.Endpoint.Port)
            .ToArray();
}
