using Orleans.Concurrency;

namespace EtcdOrleans.Contracts;

/// <summary>
/// Holds one large reply (a Range answer of many MiB) in chunks, so that no grain call carries more than
/// <see cref="ReplyBuffer.ChunkBytes"/>: Orleans closes a connection on a message over its size limit. The producer
/// stores the reply in a buffer placed in its own silo (a local call has no size limit); the consumer takes the
/// chunks one call each. A buffer lives until its last chunk is taken, or a minute.
/// </summary>
[Alias("etcd.reply-buffer")]
public interface IReplyBufferGrain : IGrainWithGuidKey
{
    [Alias("store")]
    Task StoreAsync(Immutable<byte[][]> chunks);

    [Alias("take")]
    Task<byte[]> TakeAsync(int chunk);
}

/// <summary>Where a reply too large for one message was left: a buffer and its number of chunks and bytes.</summary>
[GenerateSerializer, Immutable, Alias("etcd.buffered-reply")]
public sealed record BufferedReply(
    [property: Id(0)] Guid Buffer,
    [property: Id(1)] int Chunks,
    [property: Id(2)] int Length);

/// <summary>Stores and reads replies through <see cref="IReplyBufferGrain"/>.</summary>
public static class ReplyBuffer
{
    /// <summary>The most bytes a reply carries inline, and the size of a buffered reply's chunks.</summary>
    public const int ChunkBytes = 8 * 1024 * 1024;

    /// <summary>Leaves <paramref name="bytes"/> in a new buffer (in the caller's silo) and says where.</summary>
    public static async Task<BufferedReply> StoreAsync(IGrainFactory grains, byte[] bytes)
    {
        var chunks = new byte[(bytes.Length + ChunkBytes - 1) / ChunkBytes][];
        for (var i = 0; i < chunks.Length; i++)
        {
            chunks[i] = bytes.AsSpan(i * ChunkBytes, Math.Min(ChunkBytes, bytes.Length - (i * ChunkBytes))).ToArray();
        }

        var reply = new BufferedReply(Guid.NewGuid(), chunks.Length, bytes.Length);
        await grains.GetGrain<IReplyBufferGrain>(reply.Buffer).StoreAsync(new Immutable<byte[][]>(chunks));
        return reply;
    }

    /// <summary>Takes every chunk of <paramref name="reply"/>, in order, one call each.</summary>
    public static async Task<byte[]> ReadAsync(IGrainFactory grains, BufferedReply reply)
    {
        var buffer = grains.GetGrain<IReplyBufferGrain>(reply.Buffer);
        var bytes = new byte[reply.Length];
        var offset = 0;
        for (var i = 0; i < reply.Chunks; i++)
        {
            var chunk = await buffer.TakeAsync(i);
            chunk.CopyTo(bytes, offset);
            offset += chunk.Length;
        }

        return offset == reply.Length ? bytes : throw new InvalidOperationException($"buffered reply {reply.Buffer}: {offset} of {reply.Length} bytes");
    }
}
