using System.Buffers.Binary;

namespace EtcdOrleans.Mvcc;

/// <summary>
/// An MVCC revision: <see cref="Main"/> is the store revision created by one mutating request,
/// <see cref="Sub"/> orders the changes made by that request (0, 1, 2, ...).
/// The 16-byte big-endian encoding sorts bytewise in revision order (revisions are never negative).
/// </summary>
public readonly record struct Revision(long Main, long Sub) : IComparable<Revision>
{
    /// <summary>Size of <see cref="WriteBigEndian"/>'s output.</summary>
    public const int EncodedSize = 16;

    public int CompareTo(Revision other)
        => Main != other.Main ? Main.CompareTo(other.Main) : Sub.CompareTo(other.Sub);

    public static bool operator <(Revision left, Revision right) => left.CompareTo(right) < 0;

    public static bool operator >(Revision left, Revision right) => left.CompareTo(right) > 0;

    public static bool operator <=(Revision left, Revision right) => left.CompareTo(right) <= 0;

    public static bool operator >=(Revision left, Revision right) => left.CompareTo(right) >= 0;

    /// <summary>Writes main then sub, each as a big-endian 64-bit integer.</summary>
    public void WriteBigEndian(Span<byte> destination)
    {
        BinaryPrimitives.WriteInt64BigEndian(destination, Main);
        BinaryPrimitives.WriteInt64BigEndian(destination[8..], Sub);
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[EncodedSize];
        WriteBigEndian(bytes);
        return bytes;
    }

    public static Revision ReadBigEndian(ReadOnlySpan<byte> source)
        => new(BinaryPrimitives.ReadInt64BigEndian(source), BinaryPrimitives.ReadInt64BigEndian(source[8..]));

    public override string ToString() => $"{Main}_{Sub}";
}
