using System.Buffers;

namespace EtcdOrleans.ReplicaLog;

/// <summary>A growable byte buffer on <see cref="ArrayPool{T}"/>: records of a batch are encoded into it and written at once.</summary>
internal sealed class RecordBuffer : IDisposable
{
    private const int InitialSize = 64 * 1024;
    private const int KeepAtMost = 8 * 1024 * 1024;
    private byte[] _array = ArrayPool<byte>.Shared.Rent(InitialSize);

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _array.AsSpan(0, Length);

    /// <summary>Space for <paramref name="size"/> more bytes; call <see cref="Advance"/> after filling it.</summary>
    public Span<byte> Reserve(int size)
    {
        if (_array.Length - Length < size)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_array.Length * 2, Length + size));
            _array.AsSpan(0, Length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_array);
            _array = bigger;
        }

        return _array.AsSpan(Length, size);
    }

    public void Advance(int size) => Length += size;

    /// <summary>Empties the buffer, giving back an array that grew very large.</summary>
    public void Clear()
    {
        Length = 0;
        if (_array.Length > KeepAtMost)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = ArrayPool<byte>.Shared.Rent(InitialSize);
        }
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_array);
        _array = [];
        Length = 0;
    }
}
