using Orleans.Concurrency;

namespace EtcdOrleans.Contracts;

/// <summary>
/// The committed changes of the Raft group, in revision order, pushed to every gateway's watch hub: the leader's
/// applier publishes each applied batch here; subscribed hubs get it at once (one-way, no polling). Pushes are not
/// reliable (a silo or gateway may fail, a leader change may skip a batch): hubs check revision continuity and read
/// what they missed from history (<see cref="IKvReaderGrain.HistoryAsync"/>), so no watcher sees a gap.
/// </summary>
[Alias("etcd.change-feed")]
public interface IChangeFeedGrain : IGrainWithIntegerKey
{
    /// <summary>From the leader's applier: the events of revisions it applied, in order.</summary>
    [Alias("publish")]
    Task PublishAsync(ChangeBatch batch);

    /// <summary>Subscribes (or renews) a hub for pushes; returns the last revision published. Renew within a minute.</summary>
    [AlwaysInterleave, Alias("subscribe")]
    Task<long> SubscribeAsync(IChangeObserver observer);

    [AlwaysInterleave, Alias("unsubscribe")]
    Task UnsubscribeAsync(IChangeObserver observer);
}

/// <summary>A gateway's watch hub, as the change feed sees it.</summary>
public interface IChangeObserver : IGrainObserver
{
    [OneWay, Alias("on-changes")]
    Task OnChangesAsync(ChangeBatch batch);
}

/// <summary>
/// The events of revisions <see cref="FromRevision"/>..<see cref="ThroughRevision"/>, every one of them (each
/// revision has at least one event), in order.
/// </summary>
[GenerateSerializer, Immutable, Alias("etcd.change-batch")]
public sealed record ChangeBatch(
    [property: Id(0)] long FromRevision,
    [property: Id(1)] long ThroughRevision,
    [property: Id(2)] ChangeRevision[] Revisions);

/// <summary>
/// The events of one revision, in sub-revision order, as an etcdserverpb.WatchResponse whose events carry their
/// previous key-value (for watchers that ask for prev_kv; the hub strips it for the others).
/// </summary>
[GenerateSerializer, Immutable, Alias("etcd.change-revision")]
public sealed record ChangeRevision(
    [property: Id(0)] long Revision,
    [property: Id(1)] byte[] Events);
