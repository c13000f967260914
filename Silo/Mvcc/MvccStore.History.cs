using System.Buffers.Binary;

namespace EtcdOrleans.Mvcc;

/// <summary>History for watches, and the store hash for HashKV.</summary>
public sealed partial class MvccStore
{
    /// <summary>
    /// The events for keys in <paramref name="range"/> with main revision in [<paramref name="startRevision"/>,
    /// <paramref name="endRevision"/>] (end &lt;= 0 or above current = current), in revision order, for a watch backfill.
    /// With <paramref name="maxEvents"/> &gt; 0 the page stops at the first revision boundary at or after that many
    /// events (all events of one revision stay together); likewise with <paramref name="maxBytes"/> &gt; 0 once its
    /// keys and values (and previous values) reach that many bytes. <paramref name="includePrevKv"/> adds each event's
    /// value at the previous main revision, when not compacted (etcd's watch prev_kv).
    /// Error: <see cref="MvccError.Compacted"/> when <paramref name="startRevision"/> &lt; <see cref="CompactedRevision"/>
    /// (the watch is cancelled with compact_revision = <see cref="CompactedRevision"/>).
    /// As in etcd, a delete at exactly the compaction revision is no longer in the history.
    /// </summary>
    public HistoryPage History(KeyRange range, long startRevision, long endRevision = 0, bool includePrevKv = false, int maxEvents = 0, long maxBytes = 0)
    {
        long bytes = 0;
        if (startRevision < CompactedRevision)
        {
            MvccErrors.Throw(MvccError.Compacted);
        }

        var end = endRevision <= 0 || endRevision > CurrentRevision ? CurrentRevision : endRevision;
        var events = new List<WatchEvent>();
        if (startRevision > end)
        {
            return new HistoryPage(events, end);
        }

        var clip = range.Intersect(OwnedRange);
        for (var i = FirstLogIndexAtOrAfter(startRevision); i < _log.Count; i++)
        {
            var entry = _log[i];
            var main = entry.Revision.Main;
            if (main > end)
            {
                break;
            }

            var full = (maxEvents > 0 && events.Count >= maxEvents) || (maxBytes > 0 && bytes >= maxBytes);
            if (full && main != events[^1].Revision.Main)
            {
                return new HistoryPage(events, main - 1);
            }

            if (!clip.Contains(entry.Index.Key) || !entry.Index.TryGetExact(entry.Revision, out var version))
            {
                continue;
            }

            var kv = version.Value ?? new KeyValue(entry.Index.Key, [], 0, main, 0, 0);
            KeyValue? prev = null;
            if (includePrevKv && main - 1 >= CompactedRevision)
            {
                prev = entry.Index.Get(main - 1);
            }

            events.Add(new WatchEvent(version.IsTombstone ? WatchEventType.Delete : WatchEventType.Put, kv, prev, entry.Revision));
            bytes += kv.Key.Length + kv.Value.Length + (prev is null ? 0 : prev.Key.Length + prev.Value.Length);
        }

        return new HistoryPage(events, end);
    }

    /// <summary>
    /// A CRC-32C over every retained version with main revision &lt;= <paramref name="revision"/> (&lt;= 0 = current),
    /// in key order then revision order, continuing from <paramref name="seed"/>: hashing disjoint partitions in key
    /// order, each seeded with the previous one's hash, gives the hash of the whole key space. Equal on every
    /// replica that applied the same effects and compactions. Errors as <see cref="Range"/>.
    /// </summary>
    public uint Hash(long revision = 0, uint seed = 0)
    {
        var rev = ResolveReadRevision(revision, CurrentRevision);
        var crc = seed;
        Span<byte> buffer = stackalloc byte[Revision.EncodedSize + 1 + (8 * 3) + (4 * 2)];
        foreach (var index in _keys)
        {
            for (var i = 0; i < index.Count; i++)
            {
                var version = index[i];
                if (version.Revision.Main > rev)
                {
                    break;
                }

                version.Revision.WriteBigEndian(buffer);
                var kv = version.Value;
                buffer[Revision.EncodedSize] = kv is null ? (byte)'t' : (byte)'p';
                var fields = buffer[(Revision.EncodedSize + 1)..];
                BinaryPrimitives.WriteInt64BigEndian(fields, kv?.CreateRevision ?? 0);
                BinaryPrimitives.WriteInt64BigEndian(fields[8..], kv?.Version ?? 0);
                BinaryPrimitives.WriteInt64BigEndian(fields[16..], kv?.Lease ?? 0);
                BinaryPrimitives.WriteInt32BigEndian(fields[24..], index.Key.Length);
                BinaryPrimitives.WriteInt32BigEndian(fields[28..], kv?.Value.Length ?? -1);
                crc = Crc32C.Append(crc, buffer);
                crc = Crc32C.Append(crc, index.Key);
                if (kv is not null)
                {
                    crc = Crc32C.Append(crc, kv.Value);
                }
            }
        }

        return crc;
    }
}
