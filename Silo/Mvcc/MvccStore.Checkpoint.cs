namespace EtcdOrleans.Mvcc;

/// <summary>Checkpoint body of the store; the envelope is <see cref="MvccCheckpoint"/>.</summary>
public sealed partial class MvccStore
{
    /// <summary>Writes a checkpoint (see <see cref="MvccCheckpoint"/>).</summary>
    public void WriteCheckpoint(Stream stream) => MvccCheckpoint.Write(this, stream);

    /// <summary>Reads a checkpoint (see <see cref="MvccCheckpoint"/>).</summary>
    public static MvccStore ReadCheckpoint(Stream stream) => MvccCheckpoint.Read(stream);

    internal void WriteCheckpointBody(BinaryWriter writer)
    {
        writer.Write(CurrentRevision);
        writer.Write(CompactedRevision);
        writer.Write(_keys.Count);
        foreach (var index in _keys)
        {
            MvccCheckpoint.WriteBytes(writer, index.Key);
            writer.Write(index.Count);
            for (var i = 0; i < index.Count; i++)
            {
                var version = index[i];
                writer.Write(version.Revision.Main);
                writer.Write(version.Revision.Sub);
                var kv = version.Value;
                writer.Write(kv is not null);
                if (kv is not null)
                {
                    writer.Write(kv.CreateRevision);
                    writer.Write(kv.Version);
                    writer.Write(kv.Lease);
                    MvccCheckpoint.WriteBytes(writer, kv.Value);
                }
            }
        }

        WriteLeases(writer);
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
