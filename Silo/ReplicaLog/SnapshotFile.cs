using System.Buffers.Binary;
using System.IO.Hashing;
using EtcdOrleans.Raft;

namespace EtcdOrleans.ReplicaLog;

/// <summary>
/// The snapshot file <c>snapshot</c>, replaced atomically: written to <c>snapshot.tmp</c>, flushed, renamed over the
/// old one, directory flushed. Layout, little-endian: magic:u64 | version:u32 | reserved:u32 | index:u64 | term:u64 |
/// voterCount:u32 | learnerCount:u32 | voters:u64[] | learners:u64[] | dataLength:u64 | data | crc32c:u32 (of all before).
/// </summary>
internal static class SnapshotFile
{
    public const string FileName = "snapshot";
    /// <summary>Where <see cref="DurableFile"/> writes it before the rename.</summary>
    public const string TempFileName = FileName + ".tmp";
    private const ulong Magic = 0x50414E53524F4445; // "EDORSNAP" read little-endian
    private const uint Version = 1;
    private const int FixedSize = 40;

    public static async Task WriteAsync(string directory, Snapshot snapshot, bool sync, CancellationToken cancellationToken)
    {
        var meta = snapshot.Metadata;
        var head = new byte[FixedSize + (8 * (meta.ConfState.Voters.Count + meta.ConfState.Learners.Count)) + 8];
        BinaryPrimitives.WriteUInt64LittleEndian(head, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(8), Version);
        BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(16), meta.Index);
        BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(24), meta.Term);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(32), (uint)meta.ConfState.Voters.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(36), (uint)meta.ConfState.Learners.Count);
        var at = FixedSize;
        foreach (var id in meta.ConfState.Voters.Concat(meta.ConfState.Learners))
        {
            BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(at), id);
            at += 8;
        }

        BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(at), (ulong)snapshot.Data.Length);
        var crc = new Crc32(Crc32ParameterSet.Crc32C);
        crc.Append(head);
        crc.Append(snapshot.Data.Span);
        var tail = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(tail, crc.GetCurrentHashAsUInt32());

        await DurableFile.ReplaceAsync(Path.Combine(directory, FileName), async (stream, token) =>
        {
            await stream.WriteAsync(head, token);
            await stream.WriteAsync(snapshot.Data, token);
            await stream.WriteAsync(tail, token);
        }, cancellationToken, sync);
    }

    /// <summary>Reads the snapshot, <see cref="Snapshot.Empty"/> if there is none; damage throws <see cref="ReplicaLogCorruptException"/>.</summary>
    public static async Task<Snapshot> ReadAsync(string directory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return Snapshot.Empty;
        }

        var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        return Parse(bytes) ?? throw new ReplicaLogCorruptException(path, 0, "snapshot file damaged");
    }

    internal static Snapshot? Parse(byte[] bytes)
    {
        var span = bytes.AsSpan();
        if (span.Length < FixedSize + 12 ||
            BinaryPrimitives.ReadUInt64LittleEndian(span) != Magic ||
            BinaryPrimitives.ReadUInt32LittleEndian(span[8..]) != Version)
        {
            return null;
        }

        var crc = BinaryPrimitives.ReadUInt32LittleEndian(span[^4..]);
        if (Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, span[..^4]) != crc)
        {
            return null;
        }

        var voters = BinaryPrimitives.ReadUInt32LittleEndian(span[32..]);
        var learners = BinaryPrimitives.ReadUInt32LittleEndian(span[36..]);
        var idsEnd = FixedSize + (8L * ((long)voters + learners));
        if (idsEnd + 12 > span.Length)
        {
            return null;
        }

        var ids = new ulong[voters + learners];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = BinaryPrimitives.ReadUInt64LittleEndian(span[(FixedSize + (8 * i))..]);
        }

        var dataLength = BinaryPrimitives.ReadUInt64LittleEndian(span[(int)idsEnd..]);
        var dataStart = (int)idsEnd + 8;
        if (dataLength != (ulong)(span.Length - 4 - dataStart))
        {
            return null;
        }

        var conf = new ConfState(ids[..(int)voters], ids[(int)voters..]);
        var meta = new SnapshotMetadata(
            BinaryPrimitives.ReadUInt64LittleEndian(span[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(span[24..]),
            conf);
        return new Snapshot(meta, bytes.AsMemory(dataStart, (int)dataLength));
    }
}
