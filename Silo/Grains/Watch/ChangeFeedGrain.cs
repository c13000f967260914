using EtcdOrleans.Contracts;

namespace EtcdOrleans.Grains.Watch;

/// <summary>
/// Fans the committed changes out to every subscribed gateway hub (see <see cref="IChangeFeedGrain"/>). Holds no
/// history: a hub that misses a push reads history from the range grains. Batches are forwarded in the order they
/// arrive; revisions already forwarded are cut off, so a hub never gets one twice from here.
/// </summary>
public sealed class ChangeFeedGrain : Grain, IChangeFeedGrain
{
    private static readonly TimeSpan SubscriptionLifetime = TimeSpan.FromMinutes(1);
    private readonly Dictionary<IChangeObserver, DateTime> _observers = [];
    private long _through;

    public Task PublishAsync(ChangeBatch batch)
    {
        if (batch.ThroughRevision <= _through)
        {
            return Task.CompletedTask;
        }

        if (batch.FromRevision <= _through && batch.Revisions.Length > 0)
        {
            var fresh = batch.Revisions.Where(r => r.Revision > _through).ToArray();
            batch = new ChangeBatch(fresh.Length > 0 ? fresh[0].Revision : _through + 1, batch.ThroughRevision, fresh);
        }

        _through = batch.ThroughRevision;
        var now = DateTime.UtcNow;
        List<IChangeObserver>? expired = null;
        foreach (var (observer, renewed) in _observers)
        {
            if (now - renewed > SubscriptionLifetime)
            {
                (expired ??= []).Add(observer);
                continue;
            }

            try
            {
                // One-way: a slow or dead hub does not hold up the others.
                _ = observer.OnChangesAsync(batch);
            }
            catch (Exception)
            {
                (expired ??= []).Add(observer);
            }
        }

        foreach (var observer in expired ?? [])
        {
            _observers.Remove(observer);
        }

        return Task.CompletedTask;
    }

    public Task<long> SubscribeAsync(IChangeObserver observer)
    {
        _observers[observer] = DateTime.UtcNow;
        return Task.FromResult(_through);
    }

    public Task UnsubscribeAsync(IChangeObserver observer)
    {
        _observers.Remove(observer);
        return Task.CompletedTask;
    }
}
