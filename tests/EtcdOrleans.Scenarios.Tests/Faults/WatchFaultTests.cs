using System.Collections.Concurrent;
using System.Globalization;
using dotnet_etcd;
using EtcdOrleans.Scenarios.Tests.Support;
using EtcdOrleans.Scenarios.Tests.Targets;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Mvccpb;
using Xunit.Abstractions;

namespace EtcdOrleans.Scenarios.Tests.Faults;

/// <summary>
/// Watchers on overlapping ranges while clients put, delete, run txns and revoke leases, and the leader's silo is
/// killed once. Afterwards each watcher's events must be exactly the committed events of its range — in revision
/// order, each once, none missing, with the right prev_kv — compared with the history read back from the range
/// grains; a watcher started from a mid-run revision must get the identical tail; every acknowledged write must be
/// in the history at its revision.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class WatchFaultTests(ITestOutputHelper output)
{
    private const string Prefix = "/watchfault/";
    private const int Writers = 4;

    [Fact]
    public async Task WatchersGetExactlyTheCommittedEventsOfTheirRanges_AcrossALeaderKill()
    {
        await using var system = await LocalEtcdOrleans.StartNewAsync();
        using var admin = EtcdClients.Create(system.Endpoint);
        var start = (await admin.PutAsync(new PutRequest { Key = Key("start"), Value = Key("s") })).Header.Revision;

        // Overlapping ranges: everything, one half, one key, and from a key on; the first two with prev_kv.
        var ranges = new (string Name, ByteString Key, ByteString End, bool PrevKv)[]
        {
            ("all", Key(""), Bytes.PrefixEnd(Key("")), true),
            ("a-half", Key("a"), Key("b"), true),
            ("one-key", Key("a3"), ByteString.Empty, false),
            ("from-b", Key("b"), Bytes.PrefixEnd(Key("")), false),
        };
        var watchers = ranges.Select(r => new RecordingWatcher(system.Endpoint, r.Name, r.Key, r.End, r.PrevKv, start + 1)).ToList();
        await Task.WhenAll(watchers.Select(w => w.StartAsync()));

        using var stop = new CancellationTokenSource();
        var acknowledged = new ConcurrentBag<(string Key, long Revision)>();
        var writing = Enumerable.Range(0, Writers).Select(c => Task.Run(() => WriteAsync(system.Endpoint, c, acknowledged, stop.Token))).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(3));
        var leader = (await admin.PutAsync(new PutRequest { Key = Key("probe"), Value = Key("p") })).Header.MemberId;
        var silo = system.SiloHostingReplica(leader) ?? throw new InvalidOperationException($"no silo hosts replica {leader}");
        await system.KillSiloAsync(silo);
        output.WriteLine($"killed silo{silo} (leader replica {leader})");
        var acknowledgedBeforeKill = acknowledged.Count;
        var resumeDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (acknowledged.Count < acknowledgedBeforeKill + 100 && DateTime.UtcNow < resumeDeadline)
        {
            await Task.Delay(200);
        }

        await stop.CancelAsync();
        await Task.WhenAll(writing);
        Assert.True(acknowledged.Count >= acknowledgedBeforeKill + 100, $"writes did not resume after the kill ({acknowledged.Count} acknowledged)");

        using var survivor = EtcdClients.Create(system.Endpoint);
        var end = await ReadWithRetryAsync(() => Scenario.CurrentRevisionAsync(survivor, Prefix));

        // The reference: the history of every key, read back from the range grains by a watch from the start.
        var reference = new RecordingWatcher(system.Endpoint, "reference", Key(""), Bytes.PrefixEnd(Key("")), true, start + 1);
        await reference.StartAsync();
        await reference.WaitThroughAsync(end);
        var history = reference.Events;
        output.WriteLine($"{history.Count} events in revisions {start + 1}..{end}; {acknowledged.Count} writes acknowledged");

        var revisions = history.Select(e => e.Kv.ModRevision).Distinct().ToList();
        Assert.Equal(Enumerable.Range(0, (int)(end - start)).Select(i => start + 1 + i), revisions);
        var byRevisionAndKey = history.ToDictionary(e => (e.Kv.ModRevision, e.Kv.Key.ToStringUtf8()));
        foreach (var (key, revision) in acknowledged)
        {
            Assert.True(byRevisionAndKey.ContainsKey((revision, key)), $"acknowledged {key}@{revision} is not in the history");
        }

        foreach (var (watcher, range) in watchers.Zip(ranges))
        {
            await watcher.WaitThroughAsync(end);
            var expected = history.Where(e => InRange(e.Kv.Key, range.Key, range.End)).ToList();
            AssertSameEvents(watcher.Name, expected, watcher.Events.Where(e => e.Kv.ModRevision <= end).ToList(), range.PrevKv);
            output.WriteLine($"{watcher.Name}: {expected.Count} events, as committed");
        }

        // Resuming from the middle gives the identical tail.
        var middle = start + ((end - start) / 2);
        var resumed = new RecordingWatcher(system.Endpoint, "resumed", ranges[1].Key, ranges[1].End, true, middle);
        await resumed.StartAsync();
        await resumed.WaitThroughAsync(end);
        AssertSameEvents("resumed", watchers[1].Events.Where(e => e.Kv.ModRevision >= middle && e.Kv.ModRevision <= end).ToList(), resumed.Events.Where(e => e.Kv.ModRevision <= end).ToList(), prevKv: true);

        foreach (var watcher in watchers.Append(reference).Append(resumed))
        {
            await watcher.DisposeAsync();
        }
    }

    private static ByteString Key(string name) => ByteString.CopyFromUtf8(Prefix + name);

    private static bool InRange(ByteString key, ByteString from, ByteString end)
    {
        if (end.IsEmpty)
        {
            return key == from;
        }

        return key.Span.SequenceCompareTo(from.Span) >= 0 && key.Span.SequenceCompareTo(end.Span) < 0;
    }

    private static void AssertSameEvents(string name, List<Event> expected, List<Event> actual, bool prevKv)
    {
        Assert.True(expected.Count == actual.Count, $"{name}: {actual.Count} events, expected {expected.Count}");
        for (var i = 0; i < expected.Count; i++)
        {
            var (e, a) = (expected[i], actual[i]);
            Assert.True(e.Type == a.Type && e.Kv.Equals(a.Kv), $"{name}: event {i} is {a}, expected {e}");
            if (prevKv)
            {
                Assert.True(Equals(e.PrevKv, a.PrevKv), $"{name}: event {i} has prev_kv {a.PrevKv}, expected {e.PrevKv}");
            }
        }
    }

    /// <summary>Puts, deletes, txns of two puts, and leases granted, attached and revoked, on a few keys.</summary>
    private static async Task WriteAsync(string endpoint, int client, ConcurrentBag<(string Key, long Revision)> acknowledged, CancellationToken stop)
    {
        using var etcd = EtcdClients.CreateWithoutRetries(endpoint);
        var random = new Random(client);
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var key = Prefix + (char)('a' + random.Next(3)) + random.Next(5).ToString(CultureInfo.InvariantCulture);
            var value = $"c{client}-{i}";
            var deadline = DateTime.UtcNow.AddSeconds(5);
            try
            {
                switch (random.Next(10))
                {
                    case < 5:
                        var put = await etcd.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) }, deadline: deadline);
                        acknowledged.Add((key, put.Header.Revision));
                        break;
                    case < 7:
                        await etcd.DeleteAsync(new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(key) }, deadline: deadline);
                        break;
                    case < 9:
                        var other = Prefix + (char)('a' + random.Next(3)) + "9";
                        var txn = await etcd.TransactionAsync(
                            new TxnRequest
                            {
                                Success =
                                {
                                    new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) } },
                                    new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(other), Value = ByteString.CopyFromUtf8(value) } },
                                },
                            },
                            deadline: deadline);
                        acknowledged.Add((key, txn.Header.Revision));
                        acknowledged.Add((other, txn.Header.Revision));
                        break;
                    default:
                        var lease = await etcd.LeaseGrantAsync(new LeaseGrantRequest { TTL = 60 }, deadline: deadline);
                        var leased = await etcd.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value), Lease = lease.ID }, deadline: deadline);
                        acknowledged.Add((key, leased.Header.Revision));
                        await etcd.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease.ID }, deadline: deadline);
                        break;
                }
            }
            catch (Exception e) when (e is RpcException or HttpRequestException or OperationCanceledException)
            {
                await Task.Delay(50, CancellationToken.None);
            }

            await Task.Delay(random.Next(5, 20), CancellationToken.None);
        }
    }

    private static async Task<T> ReadWithRetryAsync<T>(Func<Task<T>> read)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            try
            {
                return await read();
            }
            catch (RpcException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    /// <summary>
    /// One watch that survives its gateway's hiccups as a client would: on a broken stream it watches again from the
    /// revision after the last event it got. Records every event; checks order and uniqueness as they come.
    /// </summary>
    private sealed class RecordingWatcher(string endpoint, string name, ByteString key, ByteString end, bool prevKv, long startRevision) : IAsyncDisposable
    {
        private readonly List<Event> _events = [];
        private readonly CancellationTokenSource _stop = new();
        private Task _running = Task.CompletedTask;
        private long _next = startRevision;
        private long _through = startRevision - 1;
        private readonly TaskCompletionSource _created = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => name;

        public List<Event> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public async Task StartAsync()
        {
            _running = RunAsync();
            await _created.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }

        /// <summary>Waits until the watch has reported everything through <paramref name="revision"/> (asks for progress).</summary>
        public async Task WaitThroughAsync(long revision)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (Volatile.Read(ref _through) < revision)
            {
                Assert.Empty(_violations);
                Assert.True(DateTime.UtcNow < deadline, $"{name}: only through {Volatile.Read(ref _through)} of {revision}");
                _progressWanted = true;
                await Task.Delay(100);
            }

            Assert.Empty(_violations);
        }

        private volatile bool _progressWanted;

        private async Task RunAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await using var stream = new WatchStream(endpoint);
                    await stream.CreateAsync(new WatchCreateRequest { Key = key, RangeEnd = end, StartRevision = _next, PrevKv = prevKv });
                    while (!_stop.IsCancellationRequested)
                    {
                        if (_progressWanted)
                        {
                            _progressWanted = false;
                            await stream.RequestProgressAsync();
                        }

                        WatchResponse response;
                        try
                        {
                            response = await stream.NextAsync(TimeSpan.FromMilliseconds(500));
                        }
                        catch (TimeoutException)
                        {
                            continue;
                        }

                        Accept(response);
                    }
                }
                catch (Exception e) when (e is RpcException or IOException or InvalidOperationException or HttpRequestException)
                {
                    await Task.Delay(200);
                }
            }
        }

        private void Accept(WatchResponse response)
        {
            if (response.Canceled)
            {
                Violation($"canceled: {response}");
            }

            if (response.Created)
            {
                _created.TrySetResult();
                return;
            }

            if (response.WatchId == -1)
            {
                // Progress: every event through the header revision has come.
                Volatile.Write(ref _through, Math.Max(Volatile.Read(ref _through), response.Header.Revision));
                return;
            }

            lock (_events)
            {
                foreach (var e in response.Events)
                {
                    var last = _events.Count > 0 ? _events[^1].Kv.ModRevision : 0;
                    if (e.Kv.ModRevision < last || e.Kv.ModRevision < _next)
                    {
                        Violation($"event at {e.Kv.ModRevision} after one at {last} (resumed at {_next})");
                    }

                    _events.Add(e);
                }

                // Every event of a revision comes in one response: the next watch, if any, starts after it.
                if (response.Events.Count > 0)
                {
                    _next = response.Events[^1].Kv.ModRevision + 1;
                }
            }
        }

        private readonly ConcurrentQueue<string> _violations = new();

        private void Violation(string what) => _violations.Enqueue($"{name}: {what}");

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _running;
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }

            _stop.Dispose();
        }
    }
}
