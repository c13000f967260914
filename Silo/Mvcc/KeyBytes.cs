namespace EtcdOrleans.Mvcc;

/// <summary>
/// Bytewise key ordering: unsigned lexicographic, a proper prefix sorts first (Go's bytes.Compare).
/// </summary>
public sealed class KeyBytes : IComparer<byte[]>, IEqualityComparer<byte[]>
{
    public static KeyBytes Comparer { get; } = new();

    private KeyBytes()
    {
    }

    public static int Compare(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var c = left.SequenceCompareTo(right);
        return c < 0 ? -1 : c > 0 ? 1 : 0;
    }

    int IComparer<byte[]>.Compare(byte[]? x, byte[]? y) => Compare(x, y);

    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj)
    {
        var hash = new HashCode();
        hash.AddBytes(obj);
        return hash.ToHashCode();
    }
}
