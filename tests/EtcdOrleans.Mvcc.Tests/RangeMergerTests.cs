using EtcdOrleans.Mvcc;
using static EtcdOrleans.Mvcc.Tests.TestHelpers;

namespace EtcdOrleans.Mvcc.Tests;

public sealed class RangeMergerTests
{
    [Fact]
    public void MergedPartitionsEqualOneStore()
    {
        var random = new Random(20261124);
        var s = NewSequencer();
        var keys = Enumerable.Range(0, 60).Select(i => $"k{i:D2}").ToArray();
        var effects = new List<Effect>();
        for (var i = 0; i < 400; i++)
        {
            var key = keys[random.Next(keys.Length)];
            MvccRequest request = random.Next(6) == 0
                ? new DeleteRangeRequest(B(key), random.Next(2) == 0 ? null : B(keys[Math.Min(keys.Length - 1, Array.IndexOf(keys, key) + 3)]))
                : new PutRequest(B(key), B(random.Next(1000).ToString()));
            var r = s.Ok(request);
            if (r.Effect is not null)
            {
                effects.Add(r.Effect);
            }
        }

        effects.Add(s.Ok(new CompactionRequest(100)).Effect!);

        for (var trial = 0; trial < 40; trial++)
        {
            // Random split points into N disjoint partitions covering every key.
            var n = random.Next(1, 6);
            var splits = keys.OrderBy(_ => random.Next()).Take(n - 1).Order(StringComparer.Ordinal).ToArray();
            var partitions = new List<MvccStore>();
            byte[] start = [];
            foreach (var split in splits.Append(null))
            {
                var end = split is null ? null : B(split);
                partitions.Add(new MvccStore(KeyRange.Between(start, end)));
                start = end ?? [];
            }

            foreach (var partition in partitions)
            {
                foreach (var effect in effects)
                {
                    partition.Apply(effect);
                }
            }

            for (var q = 0; q < 50; q++)
            {
                var request = RandomRequest(random, keys, s.Revision);
                var expected = s.State.Range(request);
                var merged = RangeMerger.Merge(request, partitions.OrderBy(_ => random.Next()).Select(p => p.RangePartial(request, s.Revision)).ToList());
                Assert.Equal(expected.Kvs, merged.Kvs);
                Assert.Equal(expected.Count, merged.Count);
                Assert.Equal(expected.More, merged.More);
                Assert.Equal(expected.Revision, merged.Revision);
            }
        }
    }

    private static RangeRequest RandomRequest(Random random, string[] keys, long current)
    {
        var from = random.Next(keys.Length);
        var kind = random.Next(4);
        byte[]? end = kind switch
        {
            0 => null,
            1 => [0],
            _ => B(keys[Math.Min(keys.Length - 1, from + random.Next(1, 40))]),
        };
        return new RangeRequest(kind == 3 ? [0] : B(keys[from]), end)
        {
            Limit = random.Next(3) == 0 ? 0 : random.Next(1, 12),
            Revision = random.Next(2) == 0 ? 0 : random.Next(100, (int)current + 1),
            SortOrder = (SortOrder)random.Next(3),
            SortTarget = (SortTarget)random.Next(5),
            KeysOnly = random.Next(4) == 0,
            CountOnly = random.Next(8) == 0,
            MinModRevision = random.Next(4) == 0 ? random.Next(100, (int)current) : 0,
            MaxCreateRevision = random.Next(4) == 0 ? random.Next(2, (int)current) : 0,
        };
    }

    [Fact]
    public void PartitionsMustShareTheReadRevision()
    {
        var store = new MvccStore();
        var request = All();
        var a = store.RangePartial(request, 1);
        var b = new PartialRange([], 0, 0, 2, 2);
        Assert.Throws<ArgumentException>(() => RangeMerger.Merge(request, [a, b]));
        Assert.Throws<InvalidOperationException>(() => store.RangePartial(request, 2));
    }
}
