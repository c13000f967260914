using EtcdOrleans.Contracts;
using Xunit.Abstractions;

namespace EtcdOrleans.Grains.Tests;

/// <summary>
/// A cluster that snapshots every 500 entries, keeps 100 below a snapshot, writes 64 KiB log segments and
/// auto-compacts history older than 2 s (etcd's periodic mode).
/// </summary>
public sealed class CompactingCluster : ThreeSiloCluster
{
    public const int SnapshotCount = 500;
    public const int CatchUpEntries = 100;
    public const int SegmentBytes = 64 * 1024;

    protected override IReadOnlyDictionary<string, string> SiloSettings { get; } = new Dictionary<string, string>
    {
        [EtcdOrleansSettings.SectionName + ":Snapshots:SnapshotCount"] = SnapshotCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [EtcdOrleansSettings.SectionName + ":Snapshots:CatchUpEntries"] = CatchUpEntries.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [EtcdOrleansSettings.SectionName + ":Snapshots:LogSegmentBytes"] = SegmentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [EtcdOrleansSettings.SectionName + ":AutoCompaction:Mode"] = "periodic",
        [EtcdOrleansSettings.SectionName + ":AutoCompaction:Retention"] = "2s",
    };
}

/// <summary>
/// Snapshots and log compaction in the replica grains: the log stays bounded in memory and on disk however many
/// writes there are, and a follower that missed more than the log keeps catches up from the leader's snapshot.
/// </summary>
public sealed class SnapshotTests(CompactingCluster fixture, ITestOutputHelper output) : IClassFixture<CompactingCluster>
{
    private const int Writers = 16;

    [Fact]
    public async Task TheLogInMemoryAndOnDiskStaysBoundedAsWritesGoOn()
    {
        await PutManyAsync("/bounded/", 5_000);

        var statuses = await Eventually.ValueAsync(StatusesAsync, s => s.All(r => r.SnapshotIndex > 0 && r.AppliedIndex == s[0].AppliedIndex));
        foreach (var status in statuses)
        {
            var directory = Path.Combine(fixture.DataDirectory, "replicas", status.ReplicaId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var segments = Directory.GetFiles(directory, "*.wal");
            var walBytes = segments.Sum(f => new FileInfo(f).Length);
            output.WriteLine($"replica {status.ReplicaId}: applied {status.AppliedIndex}, snapshot {status.SnapshotIndex}, first index {status.FirstIndex}, {segments.Length} segments, {walBytes} bytes");

            // In memory: at most a snapshot interval plus the kept tail (plus what was applied while a snapshot was written).
            Assert.True(status.AppliedIndex - status.FirstIndex < 3 * (CompactingCluster.SnapshotCount + CompactingCluster.CatchUpEntries), $"replica {status.ReplicaId} holds {status.AppliedIndex - status.FirstIndex} entries");

            // On disk: 5,000 writes took about 20 segments before compaction; a few remain.
            Assert.True(segments.Length <= 6, $"replica {status.ReplicaId} keeps {segments.Length} segments");
        }
    }

    [Fact]
    public async Task AFollowerCutOffWhileTheLeaderCompactsPastItCatchesUpFromTheSnapshot()
    {
        await fixture.Kv.PutAsync("/cutoff/first", "x");
        var leader = (ulong)(await StatusesAsync()).First(s => s.Leader != 0).Leader;
        var follower = Enumerable.Range(1, ThreeSiloCluster.Replicas).Select(r => (ulong)r).First(r => r != leader);
        var before = await Replica(follower).GetStatusAsync();

        fixture.Links.Isolate(follower);
        try
        {
            await PutManyAsync("/cutoff/", 3 * CompactingCluster.SnapshotCount);
            var leaderStatus = await Eventually.ValueAsync(() => Replica(leader).GetStatusAsync(), s => s.FirstIndex > before.AppliedIndex + 1);
            output.WriteLine($"follower {follower} stopped at {before.AppliedIndex}; leader {leader}'s log starts at {leaderStatus.FirstIndex}");
        }
        finally
        {
            fixture.Links.HealAll();
        }

        var caughtUp = await Eventually.ValueAsync(() => Replica(follower).GetStatusAsync(), s => s.SnapshotsInstalled > 0 && s.SnapshotIndex > before.AppliedIndex);
        output.WriteLine($"follower {follower} installed a snapshot at {caughtUp.SnapshotIndex}");

        // Every replica ends with the same applied state, whether it got it from entries or from the snapshot.
        await fixture.Kv.PutAsync("/cutoff/last", "y");
        var hashes = await Eventually.ValueAsync(
            () => Task.WhenAll(Enumerable.Range(1, ThreeSiloCluster.Replicas).Select(r => Replica((ulong)r).HashAppliedAsync())),
            h => h.All(x => x.AppliedIndex == h[0].AppliedIndex));
        Assert.All(hashes, h => Assert.Equal((hashes[0].Revision, hashes[0].Hash), (h.Revision, h.Hash)));

        var read = await fixture.Kv.GetPrefixAsync("/cutoff/");
        Assert.Equal((3 * CompactingCluster.SnapshotCount) + 2, read.Kvs.Count);
    }

    [Fact]
    public async Task TheLeaderAutoCompactsTheHistoryOlderThanTheRetention()
    {
        var first = await fixture.Kv.PutAsync("/autocompact/k", "0");
        for (var i = 1; i <= 40; i++)
        {
            await fixture.Kv.PutAsync("/autocompact/k", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await Task.Delay(100);
        }

        // Within a retention and a sampling interval, every replica has compacted past the first put.
        var statuses = await Eventually.ValueAsync(StatusesAsync, s => s.All(r => r.CompactRevision > first.Header.Revision));
        output.WriteLine($"compacted to {string.Join(", ", statuses.Select(s => s.CompactRevision))} (first put at {first.Header.Revision})");
        var (error, _) = await fixture.Kv.RangeAsync(new EtcdOrleans.Protos.Etcdserverpb.RangeRequest
        {
            Key = Google.Protobuf.ByteString.CopyFromUtf8("/autocompact/k"),
            Revision = first.Header.Revision,
        });
        Assert.Equal(KvError.Compacted, error);
    }

    private IRaftReplicaGrain Replica(ulong id) => fixture.Cluster.Client.GetGrain<IRaftReplicaGrain>((long)id);

    private Task<ReplicaStatus[]> StatusesAsync() =>
        Task.WhenAll(Enumerable.Range(1, ThreeSiloCluster.Replicas).Select(r => Replica((ulong)r).GetStatusAsync()));

    private async Task PutManyAsync(string prefix, int count)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                await fixture.Kv.PutAsync($"{prefix}{i:D5}", new string('v', 100));
            }
        }));
    }
}
