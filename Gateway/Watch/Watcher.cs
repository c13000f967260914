using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;
using Mvccpb = EtcdOrleans.Protos.Mvccpb;

namespace EtcdOrleans.Gateway.Watch;

/// <summary>
/// One watch of one client stream: what it watches (etcd's key / range_end, read as etcd 3.4 reads them), how it
/// wants events, and how far it has got: every event with a revision below <see cref="Next"/> has been sent (or
/// was before its start revision). Moves between the hub's index (synced: it gets live events) and a catch-up from
/// history (unsynced), never both at once.
/// </summary>
internal sealed class Watcher
{
    public Watcher(WatchStreamSession session, long id, WatchCreateRequest request, long startRevision)
    {
        Session = session;
        Id = id;
        Key = request.Key.ToByteArray();
        End = request.RangeEnd.ToByteArray();
        IsPrefix = Key.Length > 0 && End.Length > 0 && End.AsSpan().SequenceEqual(PrefixEnd(Key));
        PrevKv = request.PrevKv;
        NoPut = request.Filters.Contains(WatchCreateRequest.Types.FilterType.Noput);
        NoDelete = request.Filters.Contains(WatchCreateRequest.Types.FilterType.Nodelete);
        ProgressNotify = request.ProgressNotify;
        Fragment = request.Fragment;
        Next = startRevision;
    }

    public WatchStreamSession Session { get; }

    public long Id { get; }

    /// <summary>The key, or the first key of the range.</summary>
    public byte[] Key { get; }

    /// <summary>Empty: just <see cref="Key"/>; <c>\0</c>: every key from <see cref="Key"/> on; else the exclusive end.</summary>
    public byte[] End { get; }

    public bool IsSingleKey => End.Length == 0;

    /// <summary>True when the range is every key with prefix <see cref="Key"/> (etcdctl's --prefix, Kubernetes' watches).</summary>
    public bool IsPrefix { get; }

    public bool PrevKv { get; }

    public bool NoPut { get; }

    public bool NoDelete { get; }

    public bool ProgressNotify { get; }

    public bool Fragment { get; }

    /// <summary>The first revision not yet sent. Changed by the hub (under its lock) or by this watcher's catch-up.</summary>
    public long Next { get; set; }

    /// <summary>True while the watcher is in the hub's index and gets live events.</summary>
    public bool Synced { get; set; }

    /// <summary>True while a catch-up of its own runs (changed under the hub's lock).</summary>
    public bool CatchingUp { get; set; }

    /// <summary>Set once canceled (by the client, or by compaction): nothing more is sent for it.</summary>
    public bool Canceled { get; set; }

    /// <summary>Whether an event was sent since the last progress notification tick.</summary>
    public bool SentSinceTick { get; set; }

    /// <summary>Held while a response of this watcher is written, so a cancel never overtakes an event.</summary>
    public SemaphoreSlim WriteTurn { get; } = new(1, 1);

    public bool Matches(ReadOnlySpan<byte> key) => InRange(key, Key, End);

    /// <summary>Whether <paramref name="key"/> is in etcd's range [<paramref name="start"/>, <paramref name="end"/>) (empty end: the key alone; <c>\0</c>: no end).</summary>
    public static bool InRange(ReadOnlySpan<byte> key, ReadOnlySpan<byte> start, ReadOnlySpan<byte> end)
    {
        if (end.IsEmpty)
        {
            return key.SequenceEqual(start);
        }

        return key.SequenceCompareTo(start) >= 0 && (end is [0] || key.SequenceCompareTo(end) < 0);
    }

    /// <summary>The events of <paramref name="events"/> this watcher gets: its keys, its filters, prev_kv or not.</summary>
    public List<Mvccpb.Event> Select(IEnumerable<Mvccpb.Event> events)
    {
        var selected = new List<Mvccpb.Event>();
        foreach (var e in events)
        {
            var isDelete = e.Type == Mvccpb.Event.Types.EventType.Delete;
            if ((isDelete && NoDelete) || (!isDelete && NoPut) || !Matches(e.Kv.Key.Span))
            {
                continue;
            }

            // etcd gives no prev_kv for a create (create revision == mod revision).
            var wantsPrev = PrevKv && e.PrevKv is not null && (isDelete || e.Kv.CreateRevision != e.Kv.ModRevision);
            selected.Add(wantsPrev || e.PrevKv is null ? e : new Mvccpb.Event { Type = e.Type, Kv = e.Kv });
        }

        return selected;
    }

    /// <summary>etcd's prefix end: the prefix with its last byte below 0xff incremented, the 0xff bytes after it dropped.</summary>
    public static byte[] PrefixEnd(byte[] prefix)
    {
        for (var i = prefix.Length - 1; i >= 0; i--)
        {
            if (prefix[i] < 0xff)
            {
                var end = prefix[..(i + 1)];
                end[i]++;
                return end;
            }
        }

        return [0];
    }

    /// <summary>The key-value's key as an index key.</summary>
    public static ByteString IndexKey(byte[] key) => UnsafeByteOperations.UnsafeWrap(key);
}
