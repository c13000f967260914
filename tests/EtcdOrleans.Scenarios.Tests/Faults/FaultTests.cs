using dotnet_etcd;
using EtcdOrleans.Scenarios.Tests.Support;
using EtcdOrleans.Scenarios.Tests.Targets;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Xunit.Abstractions;

namespace EtcdOrleans.Scenarios.Tests.Faults;

/// <summary>
/// EtcdOrleans processes killed under a writing client (dotnet-etcd): no acknowledged write is lost, and writes
/// resume quickly after the leader's silo dies. Each test starts its own system (it is destroyed on purpose).
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class FaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task KillingTheLeadersSilo_WritesResume_AndNoAcknowledgedWriteIsLost()
    {
        await using var system = await LocalEtcdOrleans.StartNewAsync();
        using var client = EtcdClients.CreateWithoutRetries(system.Endpoint);

        var writer = new ContinuousWriter(client, "/fault/leader/");
        using var stop = new CancellationTokenSource();
        var writing = writer.RunAsync(stop.Token);
        await writer.WaitForAcknowledgedAsync(50, TimeSpan.FromMinutes(1));

        // The header's member_id is the replica that answered the last write: the leader.
        var leader = writer.LastLeader;
        var silo = system.SiloHostingReplica(leader);
        Assert.True(silo is not null, $"no silo log says it activated replica {leader}");
        await system.KillSiloAsync(silo.Value);
        var killedAt = writer.Clock.Elapsed;
        output.WriteLine($"killed silo{silo} (leader replica {leader}) at {killedAt.TotalSeconds:F1} s");

        var resumedAt = await writer.WaitForWriteAcknowledgedAfterAsync(killedAt, TimeSpan.FromSeconds(60));
        await writer.WaitForAcknowledgedAsync(writer.Acknowledged.Count + 20, TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await writing;

        // How fast is for a benchmark to measure on a quiet machine; here only that writes resume and nothing is lost.
        var outage = resumedAt - killedAt;
        output.WriteLine($"writes resumed {outage.TotalSeconds:F2} s after the kill; {writer.Acknowledged.Count} acknowledged, {writer.Failures} failed");
        await AssertEveryAcknowledgedWriteIsReadableAsync(client, writer);
    }

    /// <param name="snapshotCount">0: etcd's snapshot interval, never reached by the writes here; otherwise every replica
    /// snapshots and compacts its log several times before the kill, and the restart starts from the snapshots.</param>
    [Theory]
    [InlineData(0)]
    [InlineData(200)]
    public async Task RestartingTheWholeSystem_KeepsEveryAcknowledgedWrite_WithItsRevision(int snapshotCount)
    {
        var siloSettings = snapshotCount == 0 ? null : new Dictionary<string, string>
        {
            ["EtcdOrleans__Snapshots__SnapshotCount"] = snapshotCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["EtcdOrleans__Snapshots__CatchUpEntries"] = "50",
            ["EtcdOrleans__Snapshots__LogSegmentBytes"] = "65536",
        };
        await using var system = await LocalEtcdOrleans.StartNewAsync(siloSettings: siloSettings);

        ContinuousWriter writer;
        using (var client = EtcdClients.Create(system.Endpoint))
        {
            writer = new ContinuousWriter(client, "/fault/restart/");
            using var stop = new CancellationTokenSource();
            var writing = writer.RunAsync(stop.Token);
            await writer.WaitForAcknowledgedAsync(snapshotCount == 0 ? 200 : 6 * snapshotCount, TimeSpan.FromMinutes(2));

            // Kill everything while the client is still writing.
            await system.StopAsync();
            await stop.CancelAsync();
            await writing;
        }

        using (var start = new CancellationTokenSource(StartTimeout))
        {
            await system.StartAsync(start.Token);
        }

        using var after = EtcdClients.Create(system.Endpoint);
        await AssertEveryAcknowledgedWriteIsReadableAsync(after, writer);
        var lastRevision = writer.Acknowledged.Max(a => a.Revision);
        var next = await after.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("/fault/restart/next"), Value = ByteString.CopyFromUtf8("v") });
        Assert.True(next.Header.Revision > lastRevision, $"a write after the restart got revision {next.Header.Revision}, not above {lastRevision}");
        if (snapshotCount > 0)
        {
            // The restarted replicas began at their snapshots, and the range grains took their part of one.
            var logs = system.AllSiloOutput();
            Assert.Contains("took a snapshot at index", logs, StringComparison.Ordinal);
            Assert.Matches(@"Replica \d activated: term \d+, last index \d+, commit \d+, snapshot [1-9]\d*", logs);
            output.WriteLine(string.Join('\n', logs.Split('\n').Where(l => l.Contains("activated", StringComparison.Ordinal) || l.Contains("from a snapshot", StringComparison.Ordinal))));
        }
    }

    /// <summary>Every acknowledged put is there with the revision its acknowledgement carried.</summary>
    private static async Task AssertEveryAcknowledgedWriteIsReadableAsync(EtcdClient client, ContinuousWriter writer)
    {
        var range = await ReadWithRetryAsync(client, writer.Prefix);
        var stored = range.Kvs.ToDictionary(kv => kv.Key.ToStringUtf8(), kv => kv.ModRevision);
        foreach (var (key, revision) in writer.Acknowledged)
        {
            Assert.True(stored.TryGetValue(key, out var modRevision), $"acknowledged write {key}@{revision} is missing");
            Assert.Equal(revision, modRevision);
        }
    }

    private static async Task<RangeResponse> ReadWithRetryAsync(EtcdClient client, string prefix)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            try
            {
                return await client.GetRangeAsync(prefix, deadline: DateTime.UtcNow.AddSeconds(10));
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException && DateTime.UtcNow < deadline)
            {
                // Range grains of a killed silo come back once Orleans declares it dead.
                await Task.Delay(200);
            }
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultCollection
{
    public const string Name = "faults";
}
