using System.Buffers.Binary;

namespace EtcdOrleans.Raft;

/// <summary>A single-step membership change.</summary>
public enum ConfChangeType : byte
{
    /// <summary>Add a voter, or promote an existing learner to voter.</summary>
    AddVoter = 0,

    /// <summary>Add a non-voting learner that receives the log but neither votes nor counts for commit.</summary>
    AddLearner = 1,

    /// <summary>Remove a voter or learner.</summary>
    RemoveNode = 2,
}

/// <summary>
/// One membership change, carried in the log as an <see cref="EntryType.ConfChange"/> entry (see <see cref="Encode"/>)
/// and applied by the host through <see cref="RaftNode.ApplyConfChange"/> once committed.
/// </summary>
/// <param name="Type">What to do.</param>
/// <param name="NodeId">The replica concerned (non-zero).</param>
/// <param name="Context">Opaque host data (for example the member's name and URLs), replicated with the change.</param>
public sealed record ConfChange(ConfChangeType Type, ulong NodeId, ReadOnlyMemory<byte> Context = default)
{
    private const byte FormatVersion = 1;
    private const int HeaderSize = 1 + 1 + 8 + 4;

    /// <summary>Encodes to the bytes stored in the log entry: version, type, node id, context length (big-endian), context.</summary>
    public byte[] Encode()
    {
        var bytes = new byte[HeaderSize + Context.Length];
        bytes[0] = FormatVersion;
        bytes[1] = (byte)Type;
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(2), NodeId);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(10), Context.Length);
        Context.Span.CopyTo(bytes.AsSpan(HeaderSize));
        return bytes;
    }

    /// <summary>Decodes what <see cref="Encode"/> produced.</summary>
    /// <exception cref="FormatException">The bytes are not an encoded <see cref="ConfChange"/>.</exception>
    public static ConfChange Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderSize || bytes[0] != FormatVersion || bytes[1] > (byte)ConfChangeType.RemoveNode)
        {
            throw new FormatException("not an encoded ConfChange");
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(bytes[10..]);
        if (length < 0 || length != bytes.Length - HeaderSize)
        {
            throw new FormatException("ConfChange context length does not match the encoded size");
        }

        return new ConfChange((ConfChangeType)bytes[1], BinaryPrimitives.ReadUInt64BigEndian(bytes[2..]), bytes[HeaderSize..].ToArray());
    }

    /// <summary>Decodes the change carried by a <see cref="EntryType.ConfChange"/> entry.</summary>
    public static ConfChange FromEntry(Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.Type == EntryType.ConfChange ? Decode(entry.Data.Span) : throw new ArgumentException("not a ConfChange entry", nameof(entry));
    }
}
