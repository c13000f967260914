using System.Buffers.Binary;
using EtcdOrleans.Mvcc;

namespace EtcdOrleans.Grains.Ranges;

/// <summary>
/// A range grain's checkpoint on disk: the applied log index (8 bytes, little-endian) followed by the MVCC store's
/// own checksummed checkpoint. Written to a temporary file, flushed to disk and renamed, so a crash leaves the old one.
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

    public async Task SaveAsync(MvccStore store, ulong appliedIndex, CancellationToken cancellationToken)
    {
        // Serialize synchronously, before any await: the store must not change while it is being written.
        var body = new MemoryStream();
        store.WriteCheckpoint(body);
        body.Position = 0;
        Directory.CreateDirectory(directory);
        var temporary = CheckpointPath + ".tmp";
        await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            var header = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(header, appliedIndex);
            await file.WriteAsync(header, cancellationToken);
            await body.CopyToAsync(file, cancellationToken);
            await file.FlushAsync(cancellationToken);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, CheckpointPath, overwrite: true);
    }
}
