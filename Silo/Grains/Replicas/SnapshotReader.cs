namespace EtcdOrleans.Grains.Replicas;

/// <summary>Reads a replica's snapshot in pieces of bounded size (<see cref="IRaftPeerGrain.ReadSnapshotAsync"/>).</summary>
internal static class SnapshotReader
{
    /// <summary>Bytes per call: far below Orleans' message size limit.</summary>
    public const int PieceBytes = 4 * 1024 * 1024;

    /// <summary>
    /// The data of <paramref name="source"/>'s snapshot at <paramref name="index"/>, or null when the source no longer
    /// holds that snapshot (it took a newer one: ask again for the newer one).
    /// </summary>
    public static async Task<byte[]?> ReadAsync(IRaftPeerGrain source, ulong index)
    {
        byte[]? data = null;
        long offset = 0;
        do
        {
            var piece = await source.ReadSnapshotAsync(index, offset, PieceBytes);
            if (piece is null || (data is not null && piece.TotalBytes != data.Length) || (piece.Data.Length == 0 && piece.TotalBytes > offset))
            {
                return null;
            }

            data ??= new byte[piece.TotalBytes];
            piece.Data.CopyTo(data, offset);
            offset += piece.Data.Length;
        }
        while (offset < data.Length);

        return data;
    }
}
