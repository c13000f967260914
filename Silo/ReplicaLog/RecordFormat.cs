using System.Buffers.Binary;
using System.IO.Hashing;
using EtcdOrleans.Raft;

namespace EtcdOrleans.ReplicaLog;

/// <summary>What a segment record holds. Zero is never valid, so zero-filled space never parses as a record.</summary>
internal enum RecordType : byte
{
    /// <summary>First record of every segment: format version, sequence number, first index, hard state and snapshot.</summary>
    SegmentHeader = 1,

    /// <summary>One log entry.</summary>
    Entry = 2,

    /// <summary>A new hard state.</summary>
    HardState = 3,

    /// <summary>A snapshot was stored: its index and term (see <see cref="LogReplayer"/> for its effect).</summary>
    Snapshot = 4,
}

/// <summary>The outcome of parsing one record.</summary>
internal enum RecordStatus
{
    /// <summary>A whole record with a matching checksum.</summary>
    Ok,

    /// <summary>Exactly at the end of the data: no more records.</summary>
    End,

    /// <summary>Torn or corrupt: the data from here on is not a valid record.</summary>
    Bad,
}

/// <summary>A parsed record: its type and where its payload sits in the scanned buffer.</summary>
internal readonly record struct RecordView(RecordType Type, int PayloadOffset, int PayloadLength);

/// <summary>
/// The record layout, little-endian:
/// <c>crc32c:u32 | payloadLength:u32 | type:u8 | reserved:3 bytes (0) | payload</c>.
/// The CRC-32C covers everything after itself (length, type, reserved bytes and payload), so a damaged length or
/// type is detected like damaged data.
/// </summary>
internal static class RecordFormat
{
    public const int HeaderSize = 12;
    public const int EntryFixedSize = 17;
    public const int HardStateSize = 24;
    public const int SnapshotSize = 16;
    public const int SegmentHeaderSize = 72;
    public const uint FormatVersion = 1;
    public const ulong SegmentMagic = 0x474F4C5245444F45; // "EODERLOG" read little-endian

    /// <summary>No record payload may be larger than this (1 GiB); a larger length field is damage.</summary>
    public const int MaxPayload = 1 << 30;

    public static int EntryRecordSize(Entry entry) => HeaderSize + EntryFixedSize + entry.Data.Length;

    public static uint Checksum(ReadOnlySpan<byte> covered) => Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, covered);

    /// <summary>Writes the header around a payload already placed at <c>record[HeaderSize..]</c>.</summary>
    public static void Seal(Span<byte> record, RecordType type)
    {
        var payloadLength = record.Length - HeaderSize;
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)payloadLength);
        record[8] = (byte)type;
        record[9] = 0;
        record[10] = 0;
        record[11] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(record, Checksum(record[4..]));
    }

    public static int WriteEntry(Span<byte> destination, Entry entry)
    {
        var size = EntryRecordSize(entry);
        var record = destination[..size];
        var payload = record[HeaderSize..];
        BinaryPrimitives.WriteUInt64LittleEndian(payload, entry.Term);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[8..], entry.Index);
        payload[16] = (byte)entry.Type;
        entry.Data.Span.CopyTo(payload[EntryFixedSize..]);
        Seal(record, RecordType.Entry);
        return size;
    }

    public static int WriteHardState(Span<byte> destination, HardState state)
    {
        var record = destination[..(HeaderSize + HardStateSize)];
        WriteHardStatePayload(record[HeaderSize..], state);
        Seal(record, RecordType.HardState);
        return record.Length;
    }

    public static int WriteSnapshot(Span<byte> destination, ulong index, ulong term)
    {
        var record = destination[..(HeaderSize + SnapshotSize)];
        BinaryPrimitives.WriteUInt64LittleEndian(record[HeaderSize..], index);
        BinaryPrimitives.WriteUInt64LittleEndian(record[(HeaderSize + 8)..], term);
        Seal(record, RecordType.Snapshot);
        return record.Length;
    }

    public static int WriteSegmentHeader(Span<byte> destination, in SegmentHeader header)
    {
        var record = destination[..(HeaderSize + SegmentHeaderSize)];
        var payload = record[HeaderSize..];
        BinaryPrimitives.WriteUInt64LittleEndian(payload, SegmentMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(payload[8..], FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(payload[12..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[16..], header.Sequence);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[24..], header.FirstIndex);
        WriteHardStatePayload(payload[32..], header.HardState);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[56..], header.SnapshotIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[64..], header.SnapshotTerm);
        Seal(record, RecordType.SegmentHeader);
        return record.Length;
    }

    /// <summary>Parses the record at <paramref name="offset"/> of <paramref name="data"/>.</summary>
    public static RecordStatus TryRead(ReadOnlySpan<byte> data, int offset, out RecordView record, out int next, out string? problem)
    {
        record = default;
        next = offset;
        problem = null;
        var remaining = data.Length - offset;
        if (remaining == 0)
        {
            return RecordStatus.End;
        }

        if (remaining < HeaderSize)
        {
            problem = "truncated record header";
            return RecordStatus.Bad;
        }

        var header = data.Slice(offset, HeaderSize);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        var type = (RecordType)header[8];
        if (length > MaxPayload || length > (uint)(remaining - HeaderSize))
        {
            problem = "record length beyond the end of the data";
            return RecordStatus.Bad;
        }

        var covered = data.Slice(offset + 4, HeaderSize - 4 + (int)length);
        if (Checksum(covered) != BinaryPrimitives.ReadUInt32LittleEndian(header))
        {
            problem = "record checksum mismatch";
            return RecordStatus.Bad;
        }

        if (header[9] != 0 || header[10] != 0 || header[11] != 0 || !IsKnown(type) || (int)length < MinPayload(type))
        {
            problem = "malformed record";
            return RecordStatus.Bad;
        }

        record = new RecordView(type, offset + HeaderSize, (int)length);
        next = offset + HeaderSize + (int)length;
        return RecordStatus.Ok;
    }

    public static Entry ReadEntry(ReadOnlySpan<byte> payload) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(payload),
        BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]),
        (EntryType)payload[16],
        payload[EntryFixedSize..].ToArray());

    public static HardState ReadHardState(ReadOnlySpan<byte> payload) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(payload),
        BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]),
        BinaryPrimitives.ReadUInt64LittleEndian(payload[16..]));

    public static (ulong Index, ulong Term) ReadSnapshot(ReadOnlySpan<byte> payload) => (
        BinaryPrimitives.ReadUInt64LittleEndian(payload),
        BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]));

    /// <summary>Reads a segment header payload; false if its magic or version is not ours.</summary>
    public static bool TryReadSegmentHeader(ReadOnlySpan<byte> payload, out SegmentHeader header)
    {
        header = default;
        if (BinaryPrimitives.ReadUInt64LittleEndian(payload) != SegmentMagic ||
            BinaryPrimitives.ReadUInt32LittleEndian(payload[8..]) != FormatVersion)
        {
            return false;
        }

        header = new SegmentHeader(
            BinaryPrimitives.ReadUInt64LittleEndian(payload[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(payload[24..]),
            ReadHardState(payload[32..]),
            BinaryPrimitives.ReadUInt64LittleEndian(payload[56..]),
            BinaryPrimitives.ReadUInt64LittleEndian(payload[64..]));
        return true;
    }

    private static void WriteHardStatePayload(Span<byte> payload, HardState state)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(payload, state.Term);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[8..], state.Vote);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[16..], state.Commit);
    }

    private static bool IsKnown(RecordType type) => type is >= RecordType.SegmentHeader and <= RecordType.Snapshot;

    private static int MinPayload(RecordType type) => type switch
    {
        RecordType.SegmentHeader => SegmentHeaderSize,
        RecordType.Entry => EntryFixedSize,
        RecordType.HardState => HardStateSize,
        _ => SnapshotSize,
    };
}

/// <summary>The first record of a segment: everything needed to replay the segments after a prefix was deleted.</summary>
internal readonly record struct SegmentHeader(ulong Sequence, ulong FirstIndex, HardState HardState, ulong SnapshotIndex, ulong SnapshotTerm);
