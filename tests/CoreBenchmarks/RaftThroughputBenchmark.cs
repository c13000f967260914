using System.Diagnostics;
using System.Globalization;
using EtcdOrleans.Raft;

namespace EtcdOrleans.CoreBenchmarks;

/// <summary>
/// Throughput of the Raft core alone: entries per second committed (and applied on every replica) by an in-memory
/// 3-replica cluster whose leader proposes batches of fixed-size entries, over a perfect network, with storage in
/// memory (<see cref="MemoryRaftStorage"/>) and the log compacted as it is applied. Also measures the bytes allocated
/// by each Step on the steady-state replication path: an Append at a follower and an AppendResponse at the leader
/// (<see cref="GC.GetAllocatedBytesForCurrentThread"/> around each call), and everything the run allocated (entries,
/// messages, Readies, storage) per entry committed.
/// </summary>
/// <remarks>
/// Usage: <c>raft-throughput [--seconds N] [--entry-size BYTES] [--batches 64,256] [--window BATCHES] [--check]</c>.
/// With <c>--check</c> the exit code is 1 when a Step on the replication path allocates.
/// </remarks>
internal static class RaftThroughputBenchmark
{
    public static int Run(string[] args)
    {
        var seconds = 3.0;
        var entrySize = 256;
        int[] batches = [64, 256];
        var window = 4;
        var check = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seconds":
                    seconds = double.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--entry-size":
                    entrySize = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--batches":
                    batches = [.. args[++i].Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture))];
                    break;
                case "--window":
                    window = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--check":
                    check = true;
                    break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}");
                    Console.Error.WriteLine("usage: raft-throughput [--seconds N] [--entry-size BYTES] [--batches 64,256] [--window BATCHES] [--check]");
                    return 2;
            }
        }

        Console.WriteLine($"Raft core, 3 replicas in memory, {entrySize}-byte entries, up to {window} batches in flight, {seconds:F1} s per run");
        Console.WriteLine($"{"batch",6} {"entries/s",12} {"MB/s",8} {"B/Step(App)",12} {"B/Step(AppResp)",16} {"Steps measured",15} {"B/entry (all)",14}");
        var allocationFree = true;
        foreach (var batch in batches)
        {
            var cluster = new BenchCluster(entrySize);
            cluster.Run(batch, window, TimeSpan.FromSeconds(Math.Min(1, seconds / 3)));
            cluster.ResetCounters();
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            var applied = cluster.Run(batch, window, TimeSpan.FromSeconds(seconds));
            var rate = applied / clock.Elapsed.TotalSeconds;
            var perEntry = (double)(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / Math.Max(1, applied);
            var append = cluster.AppendSteps == 0 ? 0 : (double)cluster.AppendBytes / cluster.AppendSteps;
            var response = cluster.ResponseSteps == 0 ? 0 : (double)cluster.ResponseBytes / cluster.ResponseSteps;
            allocationFree &= cluster.AppendBytes == 0 && cluster.ResponseBytes == 0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{batch,6} {rate,12:N0} {rate * entrySize / 1e6,8:F1} {append,12:F1} {response,16:F1} {cluster.AppendSteps + cluster.ResponseSteps,15:N0} {perEntry,14:F1}"));
        }

        return check && !allocationFree ? 1 : 0;
    }

    /// <summary>Three replicas, a perfect in-order network, and hosts that persist, send and apply at once.</summary>
    private sealed class BenchCluster
    {
        private const int CompactEvery = 16 * 1024;

        private readonly RaftNode[] _nodes = new RaftNode[3];
        private readonly MemoryRaftStorage[] _storages = new MemoryRaftStorage[3];
        private readonly ulong[] _applied = new ulong[3];
        private readonly List<Message> _inFlight = [];
        private readonly List<Message> _delivering = [];
        private readonly ReadOnlyMemory<byte>[] _payloads;
        private readonly ReadOnlyMemory<byte> _payload;

        public BenchCluster(int entrySize)
        {
            var conf = new ConfState([1UL, 2, 3], []);
            for (var i = 0; i < 3; i++)
            {
                _storages[i] = new MemoryRaftStorage(conf);
                _nodes[i] = new RaftNode(new RaftConfig { Id = (ulong)(i + 1), Seed = i + 1 }, _storages[i]);
            }

            // Entries never change after proposal, so every proposal may share one payload.
            _payload = new byte[entrySize];
            _payloads = new ReadOnlyMemory<byte>[1024];
            Array.Fill(_payloads, _payload);
            _nodes[0].Campaign();
            while (_nodes[0].Role != RaftRole.Leader || _nodes[0].Commit == 0 || Pump())
            {
                Pump();
            }
        }

        public long AppendBytes { get; private set; }

        public long AppendSteps { get; private set; }

        public long ResponseBytes { get; private set; }

        public long ResponseSteps { get; private set; }

        public void ResetCounters() => (AppendBytes, AppendSteps, ResponseBytes, ResponseSteps) = (0, 0, 0, 0);

        /// <summary>Proposes batches while fewer than <paramref name="window"/> are uncommitted; returns entries applied everywhere.</summary>
        public long Run(int batch, int window, TimeSpan duration)
        {
            var leader = _nodes[0];
            var start = Math.Min(_applied[0], Math.Min(_applied[1], _applied[2]));
            var proposal = new ArraySegment<ReadOnlyMemory<byte>>(_payloads, 0, batch);
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < duration)
            {
                while (leader.LastIndex - leader.Commit < (ulong)(batch * window))
                {
                    if (!leader.Propose(proposal).IsAccepted)
                    {
                        throw new InvalidOperationException("the leader refused a proposal");
                    }
                }

                Pump();
            }

            return (long)(Math.Min(_applied[0], Math.Min(_applied[1], _applied[2])) - start);
        }

        /// <summary>Processes every Ready, then delivers what they sent; returns whether anything happened.</summary>
        private bool Pump()
        {
            var any = false;
            for (var i = 0; i < 3; i++)
            {
                var node = _nodes[i];
                while (node.HasReady)
                {
                    any = true;
                    var ready = node.GetReady();
                    var storage = _storages[i];
                    storage.Append(ready.Entries);
                    if (ready.HardState is { } hardState)
                    {
                        storage.SetHardState(hardState);
                    }

                    _inFlight.AddRange(ready.Messages);
                    if (ready.CommittedEntries.Count > 0)
                    {
                        _applied[i] = ready.CommittedEntries[^1].Index;
                        if (_applied[i] >= storage.FirstIndex + CompactEvery)
                        {
                            storage.Compact(_applied[i], node.ConfState, ReadOnlyMemory<byte>.Empty);
                        }
                    }

                    node.Advance(ready);
                }
            }

            _delivering.Clear();
            _delivering.AddRange(_inFlight);
            _inFlight.Clear();
            foreach (var message in _delivering)
            {
                any = true;
                Step(_nodes[(int)message.To - 1], message);
            }

            return any;
        }

        private void Step(RaftNode node, Message message)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            node.Step(message);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (message.Type == MessageType.Append && message.Entries.Count > 0)
            {
                AppendBytes += allocated;
                AppendSteps++;
            }
            else if (message.Type == MessageType.AppendResponse && !message.Reject)
            {
                ResponseBytes += allocated;
                ResponseSteps++;
            }
        }
    }
}
