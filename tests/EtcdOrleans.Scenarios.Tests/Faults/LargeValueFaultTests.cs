using System.Collections.Concurrent;
using System.Globalization;
using dotnet_etcd;
using EtcdOrleans.Scenarios.Tests.Support;
using EtcdOrleans.Scenarios.Tests.Targets;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Xunit.Abstractions;

namespace EtcdOrleans.Scenarios.Tests.Faults;

/// <summary>
/// 1 MiB values from 100 concurrent clients while a follower's silo is killed and, hundreds of MiB of log later,
/// started again: it must catch up, although its backlog is far larger than one Orleans message may be. Shown by
/// killing the leader afterwards: the two that are left (one of them the follower that lagged) must commit together,
/// and every acknowledged value must be read back.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class LargeValueFaultTests(ITestOutputHelper output)
{
    private const int Clients = 100;
    private const int Connections = 10;
    private const int ValueBytes = 1024 * 1024;

    [Fact]
    public async Task AFollowerRestartedBehindHundredsOfMebibytes_CatchesUp()
    {
        await using var system = await LocalEtcdOrleans.StartNewAsync();

        var connections = Enumerable.Range(0, Connections).Select(_ => EtcdClients.Create(system.Endpoint)).ToArray();
        try
        {
            var leader = (await connections[0].PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("/large/probe"), Value = ByteString.CopyFromUtf8("v") })).Header.MemberId;
            var leaderSilo = system.SiloHostingReplica(leader) ?? throw new InvalidOperationException($"no silo hosts replica {leader}");
            var follower = Enumerable.Range(0, LocalEtcdOrleans.SiloCount).First(s => s != leaderSilo);
            await system.KillSiloAsync(follower);
            output.WriteLine($"leader replica {leader} on silo{leaderSilo}; killed follower silo{follower}");

            // Each client overwrites its own key: the last acknowledged value of each key must survive.
            var acknowledged = new ConcurrentDictionary<string, string>();
            await WriteAsync(connections, acknowledged, putsPerClient: 3, round: "a");
            await system.RestartSiloAsync(follower);

            output.WriteLine($"{acknowledged.Count} keys written while silo{follower} was down; restarted it");
            await WriteAsync(connections, acknowledged, putsPerClient: 1, round: "b");

            // Now the follower that lagged must be part of every quorum.
            await system.KillSiloAsync(leaderSilo);
            output.WriteLine($"killed the leader's silo{leaderSilo}");
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            var resumed = false;
            while (!resumed && DateTime.UtcNow < deadline)
            {
                try
                {
                    await connections[1].PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("/large/after"), Value = ByteString.CopyFromUtf8("v") }, deadline: DateTime.UtcNow.AddSeconds(10));
                    resumed = true;
                }
                catch (RpcException)
                {
                    await Task.Delay(200);
                }
            }

            Assert.True(resumed, "no write committed on the restarted follower and the other survivor");
            var stored = await ReadAllAsync(connections[2]);
            foreach (var (key, value) in acknowledged)
            {
                Assert.True(stored.TryGetValue(key, out var seen), $"acknowledged {key} is missing");
                Assert.True(string.CompareOrdinal(seen, value) >= 0, $"{key} holds {seen}, older than the acknowledged {value}");
            }
        }
        finally
        {
            foreach (var connection in connections)
            {
                connection.Dispose();
            }
        }
    }

    /// <summary>Every client puts <paramref name="putsPerClient"/> 1 MiB values to its key; records the acknowledged ones.</summary>
    private static async Task WriteAsync(EtcdClient[] connections, ConcurrentDictionary<string, string> acknowledged, int putsPerClient, string round)
    {
        var value = new byte[ValueBytes];
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async c =>
        {
            var key = "/large/" + c.ToString("D3", CultureInfo.InvariantCulture);
            for (var i = 0; i < putsPerClient; i++)
            {
                // The value's first bytes say which write it is, so a later one sorts after an earlier one.
                var tag = $"{round}{i:D2}";
                var bytes = (byte[])value.Clone();
                System.Text.Encoding.ASCII.GetBytes(tag).CopyTo(bytes, 0);
                try
                {
                    await connections[c % connections.Length].PutAsync(
                        new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = UnsafeByteOperations.UnsafeWrap(bytes) },
                        deadline: DateTime.UtcNow.AddSeconds(30));
                    acknowledged[key] = tag;
                }
                catch (RpcException)
                {
                    // Not acknowledged: the key may hold it or not.
                }
            }
        }));
    }

    private static async Task<Dictionary<string, string>> ReadAllAsync(EtcdClient client)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                var stored = new Dictionary<string, string>();
                for (var c = 0; c < Clients; c += 10)
                {
                    // Ten keys a read: 10 MiB answers.
                    var from = "/large/" + c.ToString("D3", CultureInfo.InvariantCulture);
                    var to = "/large/" + (c + 10).ToString("D3", CultureInfo.InvariantCulture);
                    var range = await client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(from), RangeEnd = ByteString.CopyFromUtf8(to) }, deadline: DateTime.UtcNow.AddSeconds(20));
                    foreach (var kv in range.Kvs)
                    {
                        stored[kv.Key.ToStringUtf8()] = System.Text.Encoding.ASCII.GetString(kv.Value.Span[..3]);
                    }
                }

                return stored;
            }
            catch (RpcException) when (DateTime.UtcNow < deadline)
            {
                // Range grains of the killed silo come back once Orleans declares it dead.
                await Task.Delay(500);
            }
        }
    }
}
