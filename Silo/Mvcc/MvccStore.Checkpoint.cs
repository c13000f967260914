namespace EtcdOrleans.Mvcc;

/// <summary>Checkpoint body of the store; the envelope is <see cref="MvccCheckpoint"/>.</summary>
public sealed partial class MvccStore
{
    /// <summary>Writes a checkpoint (see <see cref="MvccCheckpoint"/>).</summary>
    public void WriteCheckpoint(Stream stream) => Freeze().WriteTo(stream);

    /// <summary>Reads a checkpoint (see <see cref="MvccCheckpoint"/>).</summary>
    public static MvccStore ReadCheckpoint(Stream stream) => MvccCheckpoint.Read(stream);

    /// <summary>
    /// The store as it is now, for writing a checkpoint later on any thread while the store goes on changing: a copy
    /// of each key's version list (key-values are immutable and shared) and of the lease table, in one pass without
    /// sorting, so that a replica can take a snapshot of a large store without holding up its turn.
    /// </summary>
    public FrozenCheckpoint Freeze()
    {
        var keys = new FrozenCheckpoint.FrozenKey[_keys.Count];
        var k = 0;
        foreach (var index in _keys)
        {
            var versions = new KeyVersion[index.Count];
            for (var i = 0; i < versions.Length; i++)
            {
                versions[i] = index[i];
            }

            keys[k++] = new FrozenCheckpoint.FrozenKey(index.Key, versions);
        }

        var leases = Leases.All.Select(l => (l.Id, l.Ttl)).ToArray();
        return new FrozenCheckpoint(OwnedRange, CurrentRevision, CompactedRevision, keys, leases);
    }

    /// <summary>Reads a body of <paramref name="format"/> 1 (no lease table) or 2.</summary>
    internal void ReadCheckpointBody(BinaryReader reader, ushort format)
    {
        CurrentRevision = reader.ReadInt64();
        CompactedRevision = reader.ReadInt64();
        var keyCount = reader.ReadInt32();
        var indexes = new List<KeyIndex>(Math.Max(0, Math.Min(keyCount, 1 << 20)));
        var log = new List<LogEntry>();
        byte[]? previousKey = null;
        for (var k = 0; k < keyCount; k++)
        {
            var key = MvccCheckpoint.ReadBytes(reader);
            if (previousKey is not null && KeyBytes.Compare(previousKey, key) >= 0)
            {
                throw new InvalidDataException("MVCC checkpoint keys are not in order.");
            }

            previousKey = key;
            var index = new KeyIndex(key);
            var versionCount = reader.ReadInt32();
            for (var v = 0; v < versionCount; v++)
            {
                var revision = new Revision(reader.ReadInt64(), reader.ReadInt64());
                KeyValue? kv = null;
                if (reader.ReadBoolean())
                {
                    var create = reader.ReadInt64();
                    var version = reader.ReadInt64();
                    var lease = reader.ReadInt64();
                    kv = new KeyValue(key, MvccCheckpoint.ReadBytes(reader), create, revision.Main, version, lease);
                }

                index.Append(revision, kv);
                if (revision.Main >= CompactedRevision)
                {
                    log.Add(new LogEntry(revision, index));
                }
            }

            if (!index.IsEmpty)
            {
                indexes.Add(index);
            }
        }

        log.Sort(static (a, b) => a.Revision.CompareTo(b.Revision));
        _keys = new SortedSet<KeyIndex>(indexes, KeyIndexComparer.Instance);
        _log = log;
        if (format >= 2)
        {
            ReadLeases(reader);
        }

        ReattachKeys();
    }
}
