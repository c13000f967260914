using System.Text;

namespace EtcdOrleans.Mvcc;

/// <summary>
/// Binary checkpoint of an <see cref="MvccStore"/>: a range grain recovers from its last checkpoint plus the
/// effects after <see cref="MvccStore.CurrentRevision"/>.
/// Layout (little-endian, lengths as 7-bit encoded ints): magic "EOMV" | format (u16) | owned range start |
/// has end (bool) [| end] | current revision (i64) | compacted revision (i64) | key count (i32) | per key:
/// key | version count (i32) | per version: main (i64) | sub (i64) | is put (bool) [| create (i64) | version (i64)
/// | lease (i64) | value] | lease count (i32) | per lease: id (i64) | granted TTL (i64) | CRC-32C of all preceding
/// bytes (u32). Format 1 had no lease table; it is still read (as no leases).
/// </summary>
public static class MvccCheckpoint
{
    /// <summary>The format written by <see cref="Write"/>.</summary>
    public const ushort FormatVersion = 2;

    private static ReadOnlySpan<byte> Magic => "EOMV"u8;

    /// <summary>Writes a checkpoint of <paramref name="store"/> (frozen by <see cref="MvccStore.Freeze"/>) to <paramref name="stream"/> (left open).</summary>
    public static void Write(FrozenCheckpoint store, Stream stream)
    {
        using var crc = new Crc32CStream(stream);
        using (var writer = new BinaryWriter(crc, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            WriteBytes(writer, store.OwnedRange.Start);
            writer.Write(store.OwnedRange.End is not null);
            if (store.OwnedRange.End is not null)
            {
                WriteBytes(writer, store.OwnedRange.End);
            }

            store.WriteBody(writer);
            writer.Flush();
        }

        var checksum = crc.Crc;
        Span<byte> trailer = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(trailer, checksum);
        stream.Write(trailer);
    }

    /// <summary>Reads a checkpoint written by <see cref="Write"/>; <see cref="InvalidDataException"/> when corrupt.</summary>
    public static MvccStore Read(Stream stream)
    {
        using var crc = new Crc32CStream(stream);
        using var reader = new BinaryReader(crc, Encoding.UTF8, leaveOpen: true);
        try
        {
            Span<byte> magic = stackalloc byte[4];
            reader.BaseStream.ReadExactly(magic);
            if (!magic.SequenceEqual(Magic))
            {
                throw new InvalidDataException("Not an MVCC checkpoint.");
            }

            var format = reader.ReadUInt16();
            if (format is < 1 or > FormatVersion)
            {
                throw new InvalidDataException($"Unknown MVCC checkpoint format {format}.");
            }

            var start = ReadBytes(reader);
            var end = reader.ReadBoolean() ? ReadBytes(reader) : null;
            var store = new MvccStore(start.Length == 0 && end is null ? KeyRange.All : KeyRange.Between(start, end));
            store.ReadCheckpointBody(reader, format);
            var computed = crc.Crc;
            Span<byte> trailer = stackalloc byte[4];
            stream.ReadExactly(trailer);
            if (System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer) != computed)
            {
                throw new InvalidDataException("MVCC checkpoint checksum mismatch.");
            }

            return store;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("Truncated MVCC checkpoint.", e);
        }
        catch (EffectOrderException e)
        {
            throw new InvalidDataException("MVCC checkpoint has versions out of order.", e);
        }
    }

    internal static void WriteBytes(BinaryWriter writer, byte[] bytes)
    {
        writer.Write7BitEncodedInt(bytes.Length);
        writer.Write(bytes);
    }

    internal static byte[] ReadBytes(BinaryReader reader)
    {
        var length = reader.Read7BitEncodedInt();
        if (length < 0)
        {
            throw new InvalidDataException("Negative length in MVCC checkpoint.");
        }

        // Grow while reading so that a corrupt length cannot allocate gigabytes up front.
        const int Chunk = 1 << 20;
        var bytes = new byte[Math.Min(length, Chunk)];
        var filled = 0;
        while (filled < length)
        {
            if (filled == bytes.Length)
            {
                Array.Resize(ref bytes, (int)Math.Min(length, (long)bytes.Length * 2));
            }

            var n = reader.Read(bytes, filled, bytes.Length - filled);
            if (n == 0)
            {
                throw new EndOfStreamException();
            }

            filled += n;
        }

        return bytes;
    }

    /// <summary>Pass-through stream that keeps a CRC-32C of the bytes read or written.</summary>
    private sealed class Crc32CStream(Stream inner) : Stream
    {
        public uint Crc { get; private set; }

        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            Crc = Crc32C.Append(Crc, buffer[..n]);
            return n;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Crc = Crc32C.Append(Crc, buffer);
            inner.Write(buffer);
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            // The inner stream belongs to the caller.
        }
    }
}
