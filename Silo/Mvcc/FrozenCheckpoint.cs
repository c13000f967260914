namespace EtcdOrleans.Mvcc;

/// <summary>
/// An <see cref="MvccStore"/> as it was when <see cref="MvccStore.Freeze"/> was called: what a checkpoint of it
/// holds, detached from the store, so that it can be written on another thread while the store goes on.
/// </summary>
public sealed class FrozenCheckpoint
{
    private readonly FrozenKey[] _keys;
    private readonly (long Id, long Ttl)[] _leases;

    internal FrozenCheckpoint(KeyRange ownedRange, long currentRevision, long compactedRevision, FrozenKey[] keys, (long Id, long Ttl)[] leases)
    {
        OwnedRange = ownedRange;
        CurrentRevision = currentRevision;
        CompactedRevision = compactedRevision;
        _keys = keys;
        _leases = leases;
    }

    public KeyRange OwnedRange { get; }

    public long CurrentRevision { get; }

    public long CompactedRevision { get; }

    /// <summary>Writes the checkpoint (see <see cref="MvccCheckpoint"/>) to <paramref name="stream"/> (left open).</summary>
    public void WriteTo(Stream stream) => MvccCheckpoint.Write(this, stream);

    /// <summary>The checkpoint as one array.</summary>
    public byte[] ToArray()
    {
        using var buffer = new MemoryStream();
        WriteTo(buffer);
        return buffer.ToArray();
    }

    internal void WriteBody(BinaryWriter writer)
    {
        writer.Write(CurrentRevision);
        writer.Write(CompactedRevision);
        writer.Write(_keys.Length);
        foreach (var (key, versions) in _keys)
        {
            MvccCheckpoint.WriteBytes(writer, key);
            writer.Write(versions.Length);
            foreach (var version in versions)
            {
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

        writer.Write(_leases.Length);
        foreach (var (id, ttl) in _leases)
        {
            writer.Write(id);
            writer.Write(ttl);
        }
    }

    internal readonly record struct FrozenKey(byte[] Key, KeyVersion[] Versions);
}
