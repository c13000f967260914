namespace EtcdOrleans.Benchmark;

/// <summary>Key and value generation as etcd's tool does it: key n is Go's binary.PutVarint(n) in a fixed-size buffer.</summary>
public static class Keys
{
    /// <summary>Writes n as a zig-zag varint at the start of <paramref name="key"/> and zeroes the rest.</summary>
    public static void Encode(Span<byte> key, long n)
    {
        key.Clear();
        var ux = (ulong)(n << 1) ^ (ulong)(n >> 63);
        var i = 0;
        while (ux >= 0x80)
        {
            key[i++] = (byte)(ux | 0x80);
            ux >>= 7;
        }

        key[i] = (byte)ux;
    }

    public static int EncodedLength(long n)
    {
        var ux = (ulong)(n << 1) ^ (ulong)(n >> 63);
        var len = 1;
        while (ux >= 0x80)
        {
            ux >>= 7;
            len++;
        }

        return len;
    }

    /// <summary>Checks that every key number below <paramref name="keySpace"/> fits in <paramref name="keySize"/> bytes.</summary>
    public static void Validate(int keySize, long keySpace)
    {
        if (keySpace <= 0)
        {
            throw new UsageException($"expected positive --key-space-size, got ({keySpace})");
        }

        var need = EncodedLength(keySpace - 1);
        if (keySize < need)
        {
            throw new UsageException($"--key-size {keySize} is too small for {keySpace} keys (needs {need} bytes)");
        }
    }

    public static byte[] RandomBytes(int n)
    {
        var b = new byte[n];
        Random.Shared.NextBytes(b);
        return b;
    }
}
