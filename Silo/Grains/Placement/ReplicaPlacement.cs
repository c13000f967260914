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

/// <summary>Chooses the silo for a new replica activation.</summary>
public sealed class ReplicaPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target)
            .OrderBy(silo => silo.Endpoint.Address.ToString(), StringComparer.Ordinal)
            .ThenBy(silo => silo.Endpoint.Port)
            .ToArray();
        if (silos.Length == 0)
        {
            throw new OrleansException("no silo can host a Raft replica");
        }

        var replicaId = target.GrainIdentity.GetIntegerKey();
        var index = (int)((replicaId - 1) % silos.Length + silos.Length) % silos.Length;
        return Task.FromResult(silos[index]);
    }
}
