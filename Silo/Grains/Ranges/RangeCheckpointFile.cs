using System.Buffers.Binary;
using EtcdOrleans.Mvcc;
using EtcdOrleans.ReplicaLog;

namespace EtcdOrleans.Grains.Ranges;

/// <summary>
/// A range grain's checkpoint on disk: the applied log index (8 bytes, little-endian) followed by the MVCC store's
/// own checksummed checkpoint, replaced with <see cref="DurableFile"/> so that a crash leaves the old one or the new one.
/// </summary>
internal sealed class RangeCheckpointFile(string directory)
{
    private string CheckpointPath => Path.Combine(directory, "checkpoint");

    public async Task<(MvccStore Store, ulong AppliedIndex)?> LoadAsync(KeyRange ownedRange, CancellationToken cancellationToken)
    {
        if (!File.Exists(CheckpointPath))
        {
            return null;
        }

        var bytes = await File.ReadAllBytesAsync(CheckpointPath, cancellationToken);
        var appliedIndex = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var stream = new MemoryStream(bytes, 8, bytes.Length - 8, writable: false);
        var store = MvccStore.ReadCheckpoint(stream);
        if (!store.OwnedRange.HasSameBounds(ownedRange))
        {
            throw new InvalidDataException($"{CheckpointPath} holds another key range: the number of ranges must not change once the cluster has started.");
        }

        return (store, appliedIndex);
    }

    /// <summary>Writes <paramref name="store"/> (serialized on the thread pool) as the checkpoint at <paramref name="appliedIndex"/>.</summary>
    public Task SaveAsync(FrozenCheckpoint store, ulong appliedIndex, CancellationToken cancellationToken) =>
        DurableFile.ReplaceAsync(CheckpointPath, async (file, token) =>
        {
            var body = await Task.Run(store.ToArray, token);
            var header = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(header, appliedIndex);
            await file.WriteAsync(header, token);
            await file.WriteAsync(body, token);
        }, cancellationToken);
}
