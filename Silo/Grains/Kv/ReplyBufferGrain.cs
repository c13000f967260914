using EtcdOrleans.Contracts;
using Orleans.Concurrency;
using Orleans.Placement;

namespace EtcdOrleans.Grains.Kv;

/// <summary>One large reply, in chunks; in the silo of the grain that stored it. See <see cref="IReplyBufferGrain"/>.</summary>
[PreferLocalPlacement]
public sealed class ReplyBufferGrain : Grain, IReplyBufferGrain
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);
    private byte[][] _chunks = [];
    private int _taken;

    public Task StoreAsync(Immutable<byte[][]> chunks)
    {
        _chunks = chunks.Value;
        this.RegisterGrainTimer(
            _ =>
            {
                DeactivateOnIdle();
                return Task.CompletedTask;
            },
            new GrainTimerCreationOptions(Lifetime, Timeout.InfiniteTimeSpan));
        return Task.CompletedTask;
    }

    public Task<byte[]> TakeAsync(int chunk)
    {
        if (chunk < 0 || chunk >= _chunks.Length)
        {
            throw new InvalidOperationException($"no chunk {chunk} in this reply buffer (it holds {_chunks.Length}; expired or never stored)");
        }

        var bytes = _chunks[chunk];
        if (++_taken == _chunks.Length)
        {
            _chunks = [];
            DeactivateOnIdle();
        }

        return Task.FromResult(bytes);
    }
}
