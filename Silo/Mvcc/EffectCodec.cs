using System.Buffers;

namespace EtcdOrleans.Mvcc;

/// <summary>
/// Compact binary form of an <see cref="Effect"/>, as stored in Raft entries.
/// Layout (integers as unsigned LEB128 varints of their 64-bit two's complement):
/// format (1 byte) | kind (1 byte) | revision | kind-specific body.
/// Mutation body: count, then per change: kind (1 byte) | sub | key length | key, and for a put
/// create revision | version | lease | value length | value. Compaction body: compact revision | physical (1 byte).
/// Lease grant body: lease id | TTL. Lease revoke body: lease id | count, then the changes as in a mutation (deletes).
/// </summary>
public static class EffectCodec
{
    /// <summary>The format written by <see cref="Encode(Effect)"/>.</summary>
    public const byte FormatVersion = 1;

    public static int GetEncodedLength(Effect effect)
    {
        var length = 2 + VarintLength(effect.Revision);
        switch (effect.Kind)
        {
            case EffectKind.Mutation:
                length += ChangesLength(effect.Changes);
                break;
            case EffectKind.Compaction:
                length += VarintLength(effect.CompactRevision) + 1;
                break;
            case EffectKind.LeaseGrant:
                length += VarintLength(effect.LeaseId) + VarintLength(effect.LeaseTtl);
                break;
            case EffectKind.LeaseRevoke:
                length += VarintLength(effect.LeaseId) + ChangesLength(effect.Changes);
                break;
            default:
                throw new ArgumentException($"Unknown effect kind {effect.Kind}.", nameof(effect));
        }

        return length;
    }

    private static int ChangesLength(IReadOnlyList<KeyChange> changes)
    {
        var length = VarintLength(changes.Count);
        foreach (var change in changes)
        {
            length += 1 + VarintLength(change.Sub) + VarintLength(change.Key.Length) + change.Key.Length;
            if (change.Kind == KeyChangeKind.Put)
            {
                length += VarintLength(change.CreateRevision) + VarintLength(change.Version)
                    + VarintLength(change.Lease) + VarintLength(change.Value.Length) + change.Value.Length;
            }
        }

        return length;
    }

    public static byte[] Encode(Effect effect)
    {
        var bytes = new byte[GetEncodedLength(effect)];
        var written = Write(effect, bytes);
        return written == bytes.Length ? bytes : throw new InvalidOperationException("Effect length mismatch.");
    }

    public static void Encode(Effect effect, IBufferWriter<byte> writer)
    {
        var length = GetEncodedLength(effect);
        var span = writer.GetSpan(length);
        var written = Write(effect, span);
        writer.Advance(written);
    }

    /// <summary>Decodes one effect that fills <paramref name="source"/> entirely; keys and values are copied out.</summary>
    public static Effect Decode(ReadOnlySpan<byte> source)
    {
        var reader = new Reader(source);
        var format = reader.Byte();
        if (format != FormatVersion)
        {
            throw new FormatException($"Unknown effect format {format}.");
        }

        var kind = (EffectKind)reader.Byte();
        var revision = reader.Varint();
        Effect effect;
        switch (kind)
        {
            case EffectKind.Mutation:
                var changes = ReadChanges(ref reader, source.Length);
                if (changes.Length == 0)
                {
                    throw new FormatException("Bad change count.");
                }

                effect = Effect.Mutation(revision, changes);
                break;
            case EffectKind.LeaseGrant:
                var grantedId = reader.Varint();
                effect = Effect.LeaseGrant(revision, grantedId, reader.Varint());
                break;
            case EffectKind.LeaseRevoke:
                var revokedId = reader.Varint();
                effect = Effect.LeaseRevoke(revision, revokedId, ReadChanges(ref reader, source.Length));
                break;
            case EffectKind.Compaction:
                var compactRevision = reader.Varint();
                var physical = reader.Byte() != 0;
                effect = Effect.Compaction(revision, compactRevision, physical);
                break;
            default:
                throw new FormatException($"Unknown effect kind {kind}.");
        }

        if (!reader.AtEnd)
        {
            throw new FormatException("Trailing bytes after effect.");
        }

        return effect;
    }

    private static KeyChange[] ReadChanges(ref Reader reader, int sourceLength)
    {
        var count = checked((int)reader.Varint());
        if (count < 0 || count > sourceLength)
        {
            throw new FormatException("Bad change count.");
        }

        var changes = new KeyChange[count];
        for (var i = 0; i < count; i++)
        {
            var changeKind = (KeyChangeKind)reader.Byte();
            var sub = reader.Varint();
            var key = reader.Bytes();
            changes[i] = changeKind switch
            {
                KeyChangeKind.Put => ReadPut(ref reader, key, sub),
                KeyChangeKind.Delete => KeyChange.Delete(key, sub),
                _ => throw new FormatException($"Unknown change kind {changeKind}."),
            };
        }

        return changes;
    }

    private static KeyChange ReadPut(ref Reader reader, byte[] key, long sub)
    {
        var create = reader.Varint();
        var version = reader.Varint();
        var lease = reader.Varint();
        var value = reader.Bytes();
        return KeyChange.Put(key, value, lease, create, version, sub);
    }

    private static int Write(Effect effect, Span<byte> span)
    {
        var pos = 0;
        span[pos++] = FormatVersion;
        span[pos++] = (byte)effect.Kind;
        pos += WriteVarint(span[pos..], effect.Revision);
        switch (effect.Kind)
        {
            case EffectKind.Mutation:
                pos += WriteChanges(span[pos..], effect.Changes);
                break;
            case EffectKind.Compaction:
                pos += WriteVarint(span[pos..], effect.CompactRevision);
                span[pos++] = effect.Physical ? (byte)1 : (byte)0;
                break;
            case EffectKind.LeaseGrant:
                pos += WriteVarint(span[pos..], effect.LeaseId);
                pos += WriteVarint(span[pos..], effect.LeaseTtl);
                break;
            case EffectKind.LeaseRevoke:
                pos += WriteVarint(span[pos..], effect.LeaseId);
                pos += WriteChanges(span[pos..], effect.Changes);
                break;
            default:
                throw new ArgumentException($"Unknown effect kind {effect.Kind}.", nameof(effect));
        }

        return pos;
    }

    private static int WriteChanges(Span<byte> span, IReadOnlyList<KeyChange> changes)
    {
        var pos = WriteVarint(span, changes.Count);
        foreach (var change in changes)
        {
            span[pos++] = (byte)change.Kind;
            pos += WriteVarint(span[pos..], change.Sub);
            pos += WriteBytes(span[pos..], change.Key);
            if (change.Kind == KeyChangeKind.Put)
            {
                pos += WriteVarint(span[pos..], change.CreateRevision);
                pos += WriteVarint(span[pos..], change.Version);
                pos += WriteVarint(span[pos..], change.Lease);
                pos += WriteBytes(span[pos..], change.Value);
            }
        }

        return pos;
    }

    private static int VarintLength(long value)
    {
        var v = (ulong)value;
        var length = 1;
        while (v >= 0x80)
        {
            v >>= 7;
            length++;
        }

        return length;
    }

    private static int WriteVarint(Span<byte> span, long value)
    {
        var v = (ulong)value;
        var i = 0;
        while (v >= 0x80)
        {
            span[i++] = (byte)(v | 0x80);
            v >>= 7;
        }

        span[i++] = (byte)v;
        return i;
    }

    private static int WriteBytes(Span<byte> span, byte[] bytes)
    {
        var n = WriteVarint(span, bytes.Length);
        bytes.CopyTo(span[n..]);
        return n + bytes.Length;
    }

    private ref struct Reader
    {
        private readonly ReadOnlySpan<byte> _source;
        private int _pos;

        public Reader(ReadOnlySpan<byte> source)
        {
            _source = source;
            _pos = 0;
        }

        public readonly bool AtEnd => _pos == _source.Length;

        public byte Byte()
        {
            if (_pos >= _source.Length)
            {
                throw new FormatException("Truncated effect.");
            }

            return _source[_pos++];
        }

        public long Varint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = Byte();
                result |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return (long)result;
                }
            }

            throw new FormatException("Varint too long.");
        }

        public byte[] Bytes()
        {
            var length = Varint();
            if (length < 0 || length > _source.Length - _pos)
            {
                throw new FormatException("Truncated effect.");
            }

            var bytes = _source.Slice(_pos, (int)length).ToArray();
            _pos += (int)length;
            return bytes;
        }
    }
}
