namespace EtcdOrleans.Mvcc;

/// <summary>etcd's mvccpb.Event.EventType (same numbers).</summary>
public enum WatchEventType
{
    Put = 0,
    Delete = 1,
}

/// <summary>
/// etcd's mvccpb.Event. For a delete, <see cref="Kv"/> has only the key and the mod revision set, as etcd's.
/// <see cref="PrevKv"/> is the key's value at the previous main revision (etcd's watch prev_kv), when asked for.
/// </summary>
public sealed class WatchEvent
{
    public WatchEvent(WatchEventType type, KeyValue kv, KeyValue? prevKv, Revision revision)
    {
        Type = type;
        Kv = kv;
        PrevKv = prevKv;
        Revision = revision;
    }

    public WatchEventType Type { get; }

    public KeyValue Kv { get; }

    public KeyValue? PrevKv { get; }

    /// <summary>Main and sub revision of the change: events are in this order.</summary>
    public Revision Revision { get; }
}

/// <summary>
/// A page of history: every event of <see cref="MvccStore.OwnedRange"/> ∩ the asked range with main revision
/// from the start revision through <see cref="Through"/>, in revision order. Continue at <see cref="Through"/> + 1.
/// </summary>
public sealed class HistoryPage
{
    public HistoryPage(IReadOnlyList<WatchEvent> events, long through)
    {
        Events = events;
        Through = through;
    }

    public IReadOnlyList<WatchEvent> Events { get; }

    /// <summary>The page holds every event up to and including this main revision.</summary>
    public long Through { get; }
}
