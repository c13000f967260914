using EtcdOrleans.Grains.Replicas;
using EtcdOrleans.Raft;

namespace EtcdOrleans.Grains.Tests;

/// <summary>Peer calls stay below a byte budget however many Appends a Ready holds for one peer.</summary>
public sealed class RaftMessageCodecTests
{
    private static Message Append(ulong index, int entries, int entryBytes) => new()
    {
        Type = MessageType.Append,
        From = 1,
        To = 2,
        Term = 3,
        Index = index,
        Entries = Enumerable.Range(0, entries).Select(i => new Entry(3, index + 1 + (ulong)i, EntryType.Normal, new byte[entryBytes])).ToArray(),
    };

    [Fact]
    public void ManyLargeAppends_GoInCallsOfAtMostTheBudget_InOrder_AndLoseNothing()
    {
        // What a leader sends a follower that lags by hundreds of MiB: 256 inflight Appends of 1 MiB each.
        var messages = Enumerable.Range(0, 256).Select(i => Append((ulong)i, 1, 1024 * 1024)).ToList();
        var calls = RaftMessageCodec.EncodeCalls(messages).ToList();

        Assert.True(calls.Count > 1);
        Assert.All(calls, call => Assert.True(call.Length <= RaftMessageCodec.MaxCallBytes, $"a call of {call.Length} bytes"));
        var decoded = calls.SelectMany(call => RaftMessageCodec.Decode(call)).ToList();
        Assert.Equal(messages.Select(m => m.Index), decoded.Select(m => m.Index));
        Assert.All(decoded, m => Assert.Equal(1024 * 1024, Assert.Single(m.Entries).Data.Length));
    }

    [Fact]
    public void EncodedSize_IsExact() =>
        Assert.All(
            new[] { Append(7, 0, 0), Append(7, 3, 100), Append(7, 1, 1024 * 1024) },
            m => Assert.Equal(RaftMessageCodec.Encode([m]).Length - 4, RaftMessageCodec.EncodedSize(m)));

    [Fact]
    public void AMessageLargerThanTheBudget_GoesAlone()
    {
        var calls = RaftMessageCodec.EncodeCalls([Append(1, 1, 10), Append(2, 1, 5000), Append(3, 1, 10)], maxCallBytes: 1000).ToList();
        Assert.Equal(3, calls.Count);
    }
}
