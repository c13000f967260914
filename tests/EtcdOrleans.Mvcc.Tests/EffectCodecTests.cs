using System.Buffers;
using EtcdOrleans.Mvcc;
using static EtcdOrleans.Mvcc.Tests.TestHelpers;

namespace EtcdOrleans.Mvcc.Tests;

public sealed class EffectCodecTests
{
    private static void AssertSame(Effect expected, Effect actual)
    {
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.Equal(expected.Revision, actual.Revision);
        Assert.Equal(expected.CompactRevision, actual.CompactRevision);
        Assert.Equal(expected.Physical, actual.Physical);
        Assert.Equal(expected.Changes.Count, actual.Changes.Count);
        for (var i = 0; i < expected.Changes.Count; i++)
        {
            var e = expected.Changes[i];
            var a = actual.Changes[i];
            Assert.Equal((e.Kind, e.Sub, e.CreateRevision, e.Version, e.Lease), (a.Kind, a.Sub, a.CreateRevision, a.Version, a.Lease));
            Assert.Equal(e.Key, a.Key);
            Assert.Equal(e.Value, a.Value);
        }
    }

    [Fact]
    public void MutationRoundTrips()
    {
        var effect = Effect.Mutation(123_456_789_012, [
            KeyChange.Put(B("key"), B("value"), 0x7fff_0000_1234, 5, 17, 0),
            KeyChange.Delete(B("gone"), 1),
            KeyChange.Put([], [], 0, 123_456_789_012, 1, 2),
            KeyChange.Put([0, 0xff], new byte[70_000], -1, 2, 1, 3),
        ]);
        var bytes = EffectCodec.Encode(effect);
        Assert.Equal(EffectCodec.GetEncodedLength(effect), bytes.Length);
        AssertSame(effect, EffectCodec.Decode(bytes));

        var writer = new ArrayBufferWriter<byte>();
        EffectCodec.Encode(effect, writer);
        EffectCodec.Encode(effect, writer);
        Assert.Equal(bytes, writer.WrittenSpan[..bytes.Length].ToArray());
        AssertSame(effect, EffectCodec.Decode(writer.WrittenSpan[bytes.Length..]));
    }

    [Fact]
    public void CompactionRoundTrips()
    {
        var effect = Effect.Compaction(10, 7, physical: true);
        var bytes = EffectCodec.Encode(effect);
        AssertSame(effect, EffectCodec.Decode(bytes));
        Assert.True(bytes.Length <= 5);
    }

    [Fact]
    public void SequencerEffectsRoundTripAndReplay()
    {
        var s = NewSequencer(3);
        var replica = new MvccStore();
        var random = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            var key = B("k" + random.Next(20));
            MvccRequest request = (i % 5) switch
            {
                0 => new DeleteRangeRequest(key, B("k5")),
                1 => new TxnRequest([], [new PutRequest(key, B("t" + i)), new PutRequest(B("k0"), B("x")) { Lease = 3 }], []),
                _ => new PutRequest(key, B("v" + i)),
            };
            if (s.Ok(request).Effect is { } effect)
            {
                Assert.True(replica.Apply(EffectCodec.Decode(EffectCodec.Encode(effect))));
            }
            else
            {
                replica.AdvanceTo(s.Revision);
            }
        }

        Assert.Equal(s.State.Range(All()).Kvs, replica.Range(All()).Kvs);
        Assert.Equal(s.State.Hash(), replica.Hash());
    }

    [Fact]
    public void CorruptInputIsRejected()
    {
        var bytes = EffectCodec.Encode(Effect.Mutation(5, [KeyChange.Put(B("a"), B("b"), 0, 5, 1, 0)]));
        Assert.Throws<FormatException>(() => EffectCodec.Decode(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Throws<FormatException>(() => EffectCodec.Decode([.. bytes, 0]));
        var badFormat = bytes.ToArray();
        badFormat[0] = 99;
        Assert.Throws<FormatException>(() => EffectCodec.Decode(badFormat));
        var badKind = bytes.ToArray();
        badKind[1] = 77;
        Assert.Throws<FormatException>(() => EffectCodec.Decode(badKind));
    }
}
