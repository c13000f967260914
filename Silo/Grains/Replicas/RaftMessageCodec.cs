using System.Buffers;
using System.Buffers.Binary;
using EtcdOrleans.Raft;

namespace EtcdOrleans.Grains.Replicas;

/// <summary>
/// The wire form of a batch of Raft messages between replica grains: a count, then each message's fixed fields,
/// its entries, its optional snapshot and its context. Little-endian, length-prefixed byte fields. One buffer per
/// batch, so a grain call carries many messages and Orleans copies nothing (byte arrays are immutable to us).
/// </summary>
public static class RaftMessageCodec
{
    /// <summary>
    /// The most bytes of messages one grain call carries (a single larger message goes alone): far below Orleans'
    /// message size limit, small enough that one call does not hold up the connection for long.
    /// </summary>
    public const int MaxCallBytes = 4 * 1024 * 1024;

    /// <summary>The encoded batches, each of at most <see cref="MaxCallBytes"/> (or one message), in order.</summary>
    public static IEnumerable<byte[]> EncodeCalls(IReadOnlyList<Message> messages, int maxCallBytes = MaxCallBytes)
    {
        var call = new List<Message>();
        long callBytes = 0;
        foreach (var message in messages)
        {
            var size = EncodedSize(message);
            if (call.Count > 0 && callBytes + size > maxCallBytes)
            {
                yield return Encode(call);
                call.Clear();
                callBytes = 0;
            }

            call.Add(message);
            callBytes += size;
        }

        if (call.Count > 0)
        {
            yield return Encode(call);
        }
    }

    /// <summary>The bytes <paramref name="message"/> takes in a batch.</summary>
    public static long EncodedSize(Message message)
    {
        long size = 1 + (7 * 8) + 1 + 4 + message.Context.Length + 4 + 1;
        foreach (var entry in message.Entries)
        {
            size += 8 + 8 + 1 + 4 + entry.Data.Length;
        }

        if (message.Snapshot is { } snapshot)
        {
            size += 8 + 8 + 4 + (8L * snapshot.Metadata.ConfState.Voters.Count) + 4 + (8L * snapshot.Metadata.ConfState.Learners.Count) + 4 + snapshot.Data.Length;
        }

        return size;
    }

    public static byte[] Encode(IReadOnlyList<Message> messages)
    {
        var writer = new ArrayBufferWriter<byte>(256);
        WriteUInt32(writer, (uint)messages.Count);
        foreach (var message in messages)
        {
            Write(writer, message);
        }

        return writer.WrittenSpan.ToArray();
    }

    public static List<Message> Decode(ReadOnlyMemory<byte> bytes)
    {
        var reader = new Reader(bytes);
        var count = reader.UInt32();
        var messages = new List<Message>((int)Math.Min(count, 1024));
        for (var i = 0; i < count; i++)
        {
            messages.Add(ReadMessage(ref reader));
        }

        return messages;
    }

    private static void Write(ArrayBufferWriter<byte> writer, Message message)
    {
        writer.GetSpan(1)[0] = (byte)message.Type;
        writer.Advance(1);
        WriteUInt64(writer, message.From);
        WriteUInt64(writer, message.To);
        WriteUInt64(writer, message.Term);
        WriteUInt64(writer, message.LogTerm);
        WriteUInt64(writer, message.Index);
        WriteUInt64(writer, message.Commit);
        WriteUInt64(writer, message.RejectHint);
        writer.GetSpan(1)[0] = message.Reject ? (byte)1 : (byte)0;
        writer.Advance(1);
        WriteBytes(writer, message.Context.Span);
        WriteUInt32(writer, (uint)message.Entries.Count);
        foreach (var entry in message.Entries)
        {
            WriteUInt64(writer, entry.Term);
            WriteUInt64(writer, entry.Index);
            writer.GetSpan(1)[0] = (byte)entry.Type;
            writer.Advance(1);
            WriteBytes(writer, entry.Data.Span);
        }

        if (message.Snapshot is { } snapshot)
        {
            writer.GetSpan(1)[0] = 1;
            writer.Advance(1);
            WriteUInt64(writer, snapshot.Metadata.Index);
            WriteUInt64(writer, snapshot.Metadata.Term);
            WriteIds(writer, snapshot.Metadata.ConfState.Voters);
            WriteIds(writer, snapshot.Metadata.ConfState.Learners);
            WriteBytes(writer, snapshot.Data.Span);
        }
        else
        {
            writer.GetSpan(1)[0] = 0;
            writer.Advance(1);
        }
    }

    private static Message ReadMessage(ref Reader reader)
    {
        var type = (MessageType)reader.Byte();
        var from = reader.UInt64();
        var to = reader.UInt64();
        var term = reader.UInt64();
        var logTerm = reader.UInt64();
        var index = reader.UInt64();
        var commit = reader.UInt64();
        var rejectHint = reader.UInt64();
        var reject = reader.Byte() != 0;
        var context = reader.Bytes();
        var entryCount = reader.UInt32();
        var entries = entryCount == 0 ? Array.Empty<Entry>() : new Entry[entryCount];
        for (var i = 0; i < entryCount; i++)
        {
            var entryTerm = reader.UInt64();
            var entryIndex = reader.UInt64();
            var entryType = (EntryType)reader.Byte();
            entries[i] = new Entry(entryTerm, entryIndex, entryType, reader.Bytes());
        }

        Snapshot? snapshot = null;
        if (reader.Byte() != 0)
        {
            var snapshotIndex = reader.UInt64();
            var snapshotTerm = reader.UInt64();
            var voters = reader.Ids();
            var learners = reader.Ids();
            snapshot = new Snapshot(new SnapshotMetadata(snapshotIndex, snapshotTerm, new ConfState(voters, learners)), reader.Bytes());
        }

        return new Message
        {
            Type = type,
            From = from,
            To = to,
            Term = term,
            LogTerm = logTerm,
            Index = index,
            Commit = commit,
            RejectHint = rejectHint,
            Reject = reject,
            Context = context,
            Entries = entries,
            Snapshot = snapshot,
        };
    }

    private static void WriteIds(ArrayBufferWriter<byte> writer, IReadOnlyList<ulong> ids)
    {
        WriteUInt32(writer, (uint)ids.Count);
        foreach (var id in ids)
        {
            WriteUInt64(writer, id);
        }
    }

    private static void WriteUInt32(ArrayBufferWriter<byte> writer, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(writer.GetSpan(4), value);
        writer.Advance(4);
    }

    private static void WriteUInt64(ArrayBufferWriter<byte> writer, ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(writer.GetSpan(8), value);
        writer.Advance(8);
    }

    private static void WriteBytes(ArrayBufferWriter<byte> writer, ReadOnlySpan<byte> bytes)
    {
        WriteUInt32(writer, (uint)bytes.Length);
        bytes.CopyTo(writer.GetSpan(bytes.Length));
        writer.Advance(bytes.Length);
    }

    /// <summary>Reads fields in order; byte fields are slices of the one input buffer, not copies.</summary>
    private struct Reader(ReadOnlyMemory<byte> source)
    {
        private int _position;

        public byte Byte() => source.Span[_position++];

        public uint UInt32()
        {
            var value = BinaryPrimitives.ReadUInt32LittleEndian(source.Span[_position..]);
            _position += 4;
            return value;
        }

        public ulong UInt64()
        {
            var value = BinaryPrimitives.ReadUInt64LittleEndian(source.Span[_position..]);
            _position += 8;
            return value;
        }

        public ReadOnlyMemory<byte> Bytes()
        {
            var length = (int)UInt32();
            var slice = source.Slice(_position, length);
            _position += length;
            return slice;
        }

        public ulong[] Ids()
        {
            var count = UInt32();
            var ids = new ulong[count];
            for (var i = 0; i < count; i++)
            {
                ids[i] = UInt64();
            }

            return ids;
        }
    }
}
