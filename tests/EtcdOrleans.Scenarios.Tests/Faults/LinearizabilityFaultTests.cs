using System.Globalization;
using dotnet_etcd;
using EtcdOrleans.Scenarios.Tests.Linearizability;
using EtcdOrleans.Scenarios.Tests.Support;
using EtcdOrleans.Scenarios.Tests.Targets;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Xunit.Abstractions;

namespace EtcdOrleans.Scenarios.Tests.Faults;

/// <summary>
/// Concurrent clients get, put, compare-and-set and run read-only txns on a few keys while the leader's silo is
/// paused (SIGSTOP) for longer than an election timeout and then resumed (SIGCONT): a paused leader wakes up still
/// believing it leads, with requests queued for it. The recorded history of every key must be linearizable
/// (<see cref="RegisterChecker"/>), and clients must get answers again after the fault.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class LinearizabilityFaultTests(ITestOutputHelper output)
{
    private const int Clients = 5;
    private static readonly string[] Keys = ["k0", "k1", "k2", "k3", "k4", "k5"];
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task PausingTheLeadersSilo_KeepsEveryKeysHistoryLinearizable()
    {
        await using var system = await LocalEtcdOrleans.StartNewAsync();

        var history = new RegisterHistory();
        var answeredAfterFault = 0;
        var faultOver = false;
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            using var client = EtcdClients.CreateWithoutRetries(system.Endpoint);
            var worker = new RegisterClient(client, c, "/linearizable/", history);
            while (!stop.IsCancellationRequested)
            {
                if (await worker.RunOneAsync() && Volatile.Read(ref faultOver))
                {
                    Interlocked.Increment(ref answeredAfterFault);
                }

                await Task.Delay(Random.Shared.Next(5, 30));
            }
        })).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(3));
        using (var probe = EtcdClients.Create(system.Endpoint))
        {
            var leader = (await probe.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("/linearizable-probe"), Value = ByteString.CopyFromUtf8("v") })).Header.MemberId;
            var silo = system.SiloHostingReplica(leader) ?? throw new InvalidOperationException($"no silo hosts replica {leader}");
            output.WriteLine($"pausing silo{silo} (leader replica {leader}) for 4 s");
            system.PauseSilo(silo);
            await Task.Delay(TimeSpan.FromSeconds(4));
            system.ResumeSilo(silo);
        }

        Volatile.Write(ref faultOver, true);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (Volatile.Read(ref answeredAfterFault) < 50 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        await Task.Delay(TimeSpan.FromSeconds(3));
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        Assert.True(answeredAfterFault >= 50, $"only {answeredAfterFault} operations were answered after the leader's silo resumed");
        foreach (var (key, ops) in history.ByKey.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var result = RegisterChecker.Check(ops);
            output.WriteLine($"{key}: {ops.Count} operations ({ops.Count(o => !o.Completed)} unanswered): {result.Explanation.Split('\n')[0]}");
            Assert.True(result.Decided, $"{key}: {result.Explanation}");
            Assert.True(result.Linearizable, $"{key}: {result.Explanation}");
        }
    }

    /// <summary>One client's operations, recorded in <see cref="RegisterHistory"/>. Values are unique per write.</summary>
    private sealed class RegisterClient(EtcdClient client, int id, string prefix, RegisterHistory history)
    {
        private readonly Random _random = new(id);
        private readonly Dictionary<string, string?> _lastSeen = [];
        private int _written;

        /// <summary>Runs one random operation; true when it was answered.</summary>
        public async Task<bool> RunOneAsync()
        {
            var key = Keys[_random.Next(Keys.Length)];
            var roll = _random.Next(100);
            return roll switch
            {
                < 35 => await ReadAsync(key),
                < 60 => await WriteAsync(key),
                < 80 => await CompareAndSetAsync(key),
                _ => await ReadOnlyTxnAsync(key),
            };
        }

        private ByteString Wire(string key) => ByteString.CopyFromUtf8(prefix + key);

        private string NextValue() => $"c{id}-{(++_written).ToString(CultureInfo.InvariantCulture)}";

        private static DateTime Deadline => DateTime.UtcNow + OperationTimeout;

        private async Task<bool> ReadAsync(string key)
        {
            var invoked = history.Now;
            try
            {
                var range = await client.GetAsync(new RangeRequest { Key = Wire(key) }, deadline: Deadline);
                var seen = range.Kvs.Count == 0 ? null : range.Kvs[0].Value.ToStringUtf8();
                history.Add(key, new RegisterOp(id, RegisterOperation.Read, invoked, history.Now, ReadValue: seen));
                _lastSeen[key] = seen;
                return true;
            }
            catch (Exception e) when (IsFailure(e))
            {
                // A failed read changed nothing: it is not part of the history.
                return false;
            }
        }

        private async Task<bool> WriteAsync(string key)
        {
            var value = NextValue();
            var invoked = history.Now;
            try
            {
                await client.PutAsync(new PutRequest { Key = Wire(key), Value = ByteString.CopyFromUtf8(value) }, deadline: Deadline);
                history.Add(key, new RegisterOp(id, RegisterOperation.Write, invoked, history.Now, Value: value));
                return true;
            }
            catch (Exception e) when (IsFailure(e))
            {
                history.Add(key, new RegisterOp(id, RegisterOperation.Write, invoked, null, Value: value));
                return false;
            }
        }

        /// <summary>Put a new value if the key still has the value this client saw last; a txn that writes nothing when not.</summary>
        private async Task<bool> CompareAndSetAsync(string key)
        {
            var expected = _lastSeen.GetValueOrDefault(key);
            var value = NextValue();
            var compare = expected is null
                ? new Compare { Key = Wire(key), Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Equal, Version = 0 }
                : new Compare { Key = Wire(key), Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = ByteString.CopyFromUtf8(expected) };
            var txn = new TxnRequest { Compare = { compare }, Success = { new RequestOp { RequestPut = new PutRequest { Key = Wire(key), Value = ByteString.CopyFromUtf8(value) } } } };
            var invoked = history.Now;
            try
            {
                var response = await client.TransactionAsync(txn, deadline: Deadline);
                history.Add(key, new RegisterOp(id, RegisterOperation.CompareAndSet, invoked, history.Now, value, expected, Succeeded: response.Succeeded));
                return true;
            }
            catch (Exception e) when (IsFailure(e))
            {
                history.Add(key, new RegisterOp(id, RegisterOperation.CompareAndSet, invoked, null, value, expected));
                return false;
            }
        }

        /// <summary>A txn that compares and reads in either branch: the leader answers it without writing.</summary>
        private async Task<bool> ReadOnlyTxnAsync(string key)
        {
            var guess = _lastSeen.GetValueOrDefault(key) ?? "none";
            var read = new RequestOp { RequestRange = new RangeRequest { Key = Wire(key) } };
            var txn = new TxnRequest
            {
                Compare = { new Compare { Key = Wire(key), Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = ByteString.CopyFromUtf8(guess) } },
                Success = { read },
                Failure = { read },
            };
            var invoked = history.Now;
            try
            {
                var response = await client.TransactionAsync(txn, deadline: Deadline);
                var kvs = response.Responses[0].ResponseRange.Kvs;
                var seen = kvs.Count == 0 ? null : kvs[0].Value.ToStringUtf8();
                Assert.Equal(seen == guess, response.Succeeded);
                history.Add(key, new RegisterOp(id, RegisterOperation.Read, invoked, history.Now, ReadValue: seen));
                _lastSeen[key] = seen;
                return true;
            }
            catch (Exception e) when (IsFailure(e))
            {
                return false;
            }
        }

        private static bool IsFailure(Exception e) => e is RpcException or HttpRequestException or OperationCanceledException;
    }
}
