using System.Buffers.Binary;
using EtcdOrleans.Raft;

namespace EtcdOrleans.Raft.Tests.Simulation;

/// <summary>What one seed's run looks like: drawn from the seed so that every seed explores a different mix.</summary>
internal sealed record SimulationOptions
{
    public required int Replicas { get; init; }

    public int FaultTicks { get; init; } = 300;

    public double DropRate { get; init; }

    public double DuplicateRate { get; init; }

    public int MaxDelayTicks { get; init; }

    /// <summary>Per tick: chance that a replica that is up crashes.</summary>
    public double CrashRate { get; init; }

    /// <summary>Per tick: chance that a replica that leads crashes (leaders dying mid-replication is what Figure 8 of the paper needs).</summary>
    public double LeaderCrashRate { get; init; }

    /// <summary>Per tick: chance that the network partitions (when healed) or heals (when partitioned).</summary>
    public double PartitionRate { get; init; }

    /// <summary>Chance per sub-round that a pending Ready's fsync completes.</summary>
    public double SyncRate { get; init; } = 0.7;

    /// <summary>The host compacts its log once this many entries are applied past the snapshot; 0 = never.</summary>
    public int CompactEvery { get; init; }

    /// <summary>Entries the host keeps below its snapshot when it compacts (etcd's SnapshotCatchUpEntries).</summary>
    public int CompactKeep { get; init; }

    public ulong MaxSizePerMsg { get; init; } = 1024 * 1024;

    public int MaxInflightMsgs { get; init; } = 256;

    /// <summary>Bounds the backlog a leader accepts, so that catching up after the faults takes bounded time.</summary>
    public ulong MaxUncommittedEntriesSize { get; init; } = 8192;

    public static SimulationOptions FromSeed(int replicas, int seed)
    {
        var random = new Random(seed ^ 0x5EED);
        return new SimulationOptions
        {
            Replicas = replicas,
            DropRate = random.Next(3) switch { 0 => 0, 1 => 0.02, _ => 0.1 },
            DuplicateRate = random.Next(2) == 0 ? 0 : 0.05,
            MaxDelayTicks = random.Next(4),
            CrashRate = random.Next(3) switch { 0 => 0, 1 => 0.003, _ => 0.01 },
            LeaderCrashRate = random.Next(3) switch { 0 => 0, 1 => 0.02, _ => 0.08 },
            PartitionRate = random.Next(3) switch { 0 => 0, 1 => 0.01, _ => 0.04 },
            SyncRate = random.Next(2) == 0 ? 1.0 : 0.5,
            CompactEvery = random.Next(3) switch { 0 => 0, 1 => 5, _ => 2 + random.Next(30) },
            MaxSizePerMsg = random.Next(2) == 0 ? 1024UL * 1024 : 256UL,
            MaxInflightMsgs = random.Next(2) == 0 ? 256 : 1 + random.Next(4),
            MaxUncommittedEntriesSize = random.Next(2) == 0 ? 2048UL : 8192UL,
            CompactKeep = random.Next(3) switch { 0 => 0, 1 => 3, _ => random.Next(40) },
        };
    }
}

/// <summary>A safety or liveness property the simulation found broken.</summary>
internal sealed class SimulationFailure(string message) : Exception(message);

/// <summary>
/// A deterministic simulation of a Raft cluster under faults: an unreliable network (<see cref="SimulatedNetwork"/>),
/// partitions, crashes that lose unsynced state (<see cref="SimulatedReplica"/>), compaction and snapshots, leadership
/// transfers, and clients that propose and read all the time. Every random choice comes from one seeded source, so a
/// seed replays exactly. It checks, as it goes: at most one leader per term; every index is committed with one entry
/// only (state machine safety); every replica applies the same sequence; leader completeness; log matching;
/// linearizable ReadIndex. After the faults it heals everything and checks that a leader emerges, and commits, within
/// a bounded number of ticks.
/// </summary>
internal sealed class RaftSimulation
{
    public const int ElectionTicks = 10;
    public const int HeartbeatTicks = 1;

    /// <summary>
    /// Once everything is healed, a leader followed by every replica must emerge within this many ticks, and then an
    /// entry proposed to it be applied everywhere within as many again. Randomized timeouts are drawn from
    /// [ElectionTicks, 2 * ElectionTicks), and a leader elected just before the heal may still be deposed by check-quorum.
    /// </summary>
    public const int LivenessBoundTicks = 10 * ElectionTicks;

    private const int SubRoundsPerTick = 3;
    /// <summary>Lines of trace kept (the last ones); <c>RAFT_SIM_TRACE_LINES</c> overrides when replaying a seed.</summary>
    private static readonly int TraceLines =
        int.TryParse(Environment.GetEnvironmentVariable("RAFT_SIM_TRACE_LINES"), System.Globalization.CultureInfo.InvariantCulture, out var lines) ? lines : 400;

    private readonly SimulatedReplica[] _replicas;
    private readonly Dictionary<ulong, ulong> _leaderOfTerm = [];
    private readonly List<CommittedEntry?> _committed = [null];
    private readonly List<ulong> _hashAt = [0];
    private readonly Dictionary<long, ulong> _readFloor = [];
    private readonly Queue<string>? _trace;
    private long _nextPayload;
    private long _nextRead;

    public RaftSimulation(SimulationOptions options, int seed, bool trace)
    {
        Options = options;
        Seed = seed;
        Random = new Random(seed);
        _trace = trace ? new Queue<string>() : null;
        Network = new SimulatedNetwork(this, options.Replicas) { DropRate = options.DropRate };
        var ids = Enumerable.Range(1, options.Replicas).Select(i => (ulong)i).ToArray();
        var conf = new ConfState(ids, []);
        _replicas = [.. ids.Select(id => new SimulatedReplica(this, id, conf))];
    }

    public SimulationOptions Options { get; }

    public int Seed { get; }

    public Random Random { get; }

    public SimulatedNetwork Network { get; }

    public int Now { get; private set; }

    public bool Tracing => _trace is not null;

    /// <summary>Highest index known committed anywhere.</summary>
    public ulong MaxCommitted => (ulong)_committed.Count - 1;

    /// <summary>Entries proposed and found applied, for the summary.</summary>
    public long Proposed => _nextPayload;

    /// <summary>What the run exercised, so that a summary shows the faults really happened.</summary>
    public SimulationCoverage Coverage { get; } = new();

    public string TraceText => _trace is null ? "" : string.Join('\n', _trace);

    public void Trace(string line)
    {
        _trace!.Enqueue($"[{Now}] {line}");
        if (_trace.Count > TraceLines)
        {
            _trace.Dequeue();
        }
    }

    public void Fail(string what) => throw new SimulationFailure($"seed {Seed} tick {Now}: {what}");

    /// <summary>Runs the faulty phase, then heals and checks liveness. Throws <see cref="SimulationFailure"/>.</summary>
    public void Run()
    {
        for (var tick = 0; tick < Options.FaultTicks; tick++)
        {
            InjectFaults();
            DriveClients();
            RunTick();
            if (tick % 20 == 0)
            {
                CheckLogMatching();
            }
        }

        HealEverything();
        ElectionTicksAfterHeal = RunUntil(LivenessBoundTicks, HasStableLeader);
        if (ElectionTicksAfterHeal < 0)
        {
            Fail($"no leader within {LivenessBoundTicks} ticks of healing: {Describe()}");
        }

        // The cluster must also make progress: an entry proposed after healing is committed and applied everywhere. A
        // leader may still be deposed (check-quorum right after the heal), losing its uncommitted proposal: propose
        // again to each new leader.
        ulong finalIndex = 0, finalTerm = 0;
        var progressTicks = RunUntil(LivenessBoundTicks, () =>
        {
            if (HasStableLeader() && _replicas.First(r => r.Node!.Role == RaftRole.Leader).Node is { } leader && leader.Term != finalTerm)
            {
                var proposal = leader.Propose(NextPayload());
                if (Tracing)
                {
                    Trace($"--- final proposal to n{leader.Id}: {proposal}");
                }

                (finalIndex, finalTerm) = proposal.IsAccepted ? (proposal.Index, leader.Term) : (finalIndex, finalTerm);
            }

            return finalIndex > 0 && _replicas.All(r => r.AppliedIndex >= finalIndex)
                && _committed[(int)finalIndex] is { } entry && entry.Entry.Term == finalTerm;
        });
        if (progressTicks < 0)
        {
            Fail($"no entry proposed after healing was applied everywhere within {LivenessBoundTicks} ticks: {Describe()}");
        }

        CommitTicksAfterElection = progressTicks;
        CheckLogMatching();
    }

    /// <summary>Ticks from healing until one leader was followed by all (for the summary).</summary>
    public int ElectionTicksAfterHeal { get; private set; }

    /// <summary>Ticks from then until an entry proposed after healing was applied everywhere.</summary>
    public int CommitTicksAfterElection { get; private set; }

    private void InjectFaults()
    {
        foreach (var replica in _replicas)
        {
            var crashRate = replica.Node is { Role: RaftRole.Leader } ? Options.CrashRate + Options.LeaderCrashRate : Options.CrashRate;
            if (replica.IsUp && Random.NextDouble() < crashRate)
            {
                replica.Crash();
                replica.RestartAt = Now + 1 + Random.Next(Random.Next(2) == 0 ? 3 : 4 * ElectionTicks);
            }
            else if (!replica.IsUp && Now >= replica.RestartAt)
            {
                replica.Start();
            }
        }

        if (Random.NextDouble() < Options.PartitionRate)
        {
            if (Network.IsPartitioned)
            {
                Network.Heal();
            }
            else
            {
                Network.Partition();
            }
        }

        if (Random.NextDouble() < 0.01 && PickUp() is { } node)
        {
            var to = (ulong)(1 + Random.Next(Options.Replicas));
            if (Tracing)
            {
                Trace($"n{node.Id} asked to transfer leadership to n{to}");
            }

            node.TransferLeadership(to);
        }
    }

    private void DriveClients()
    {
        foreach (var replica in _replicas)
        {
            if (replica.Node is not { Role: RaftRole.Leader } node || Random.NextDouble() >= 0.5)
            {
                continue;
            }

            var count = Random.Next(1, 4);
            var result = count == 1 ? node.Propose(NextPayload()) : node.Propose([.. Enumerable.Range(0, count).Select(_ => NextPayload())]);
            if (Tracing)
            {
                Trace($"n{node.Id} propose x{count}: {result}");
            }
        }

        if (Random.NextDouble() < 0.2 && PickUp() is { } reader)
        {
            var id = _nextRead++;
            var context = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(context, id);
            if (reader.ReadIndex(context))
            {
                // A linearizable read must observe every write committed before it started.
                _readFloor[id] = MaxCommitted;
            }
        }
    }

    private void RunTick()
    {
        Now++;
        foreach (var replica in _replicas)
        {
            replica.Node?.Tick();
        }

        for (var round = 0; round < SubRoundsPerTick; round++)
        {
            Network.DeliverDue(_replicas);
            foreach (var replica in _replicas)
            {
                if (replica.IsUp)
                {
                    replica.ProcessReady(Random.NextDouble() < Options.SyncRate);
                    CheckReplica(replica);
                }
            }
        }
    }

    /// <summary>Runs reliable ticks until <paramref name="done"/>; returns the ticks taken, or -1 past the bound.</summary>
    private int RunUntil(int maxTicks, Func<bool> done)
    {
        for (var tick = 0; tick <= maxTicks; tick++)
        {
            if (done())
            {
                return tick;
            }

            RunTick();
        }

        return -1;
    }

    private void HealEverything()
    {
        if (Network.IsPartitioned)
        {
            Network.Heal();
        }

        Network.DropRate = 0;
        foreach (var replica in _replicas.Where(r => !r.IsUp))
        {
            replica.Start();
        }

        if (Tracing)
        {
            Trace("--- healed: no more faults ---");
        }
    }

    /// <summary>One leader, of the highest term, that every replica follows.</summary>
    private bool HasStableLeader()
    {
        var leaders = _replicas.Where(r => r.Node!.Role == RaftRole.Leader).ToArray();
        if (leaders.Length != 1)
        {
            return false;
        }

        var leader = leaders[0].Node!;
        return _replicas.All(r => r.Node!.Term == leader.Term && r.Node.Leader == leader.Id);
    }

    private RaftNode? PickUp()
    {
        var replica = _replicas[Random.Next(_replicas.Length)];
        return replica.Node;
    }

    private ReadOnlyMemory<byte> NextPayload()
    {
        // 8 bytes of unique id, padded to a random size so that byte caps on messages matter.
        var data = new byte[8 + Random.Next(40)];
        BinaryPrimitives.WriteInt64BigEndian(data, ++_nextPayload);
        return data;
    }

    private string Describe() => string.Join("; ", _replicas.Select(r => r.Node is { } n
        ? $"n{n.Id} {n.Role} t{n.Term} lead {n.Leader} commit {n.Commit} last {n.LastIndex} applied {r.AppliedIndex}"
        : $"n{r.Id} down"));

    // ---------------------------------------------------------------- invariants

    private void CheckReplica(SimulatedReplica replica)
    {
        var node = replica.Node!;
        if (node.Role == RaftRole.Leader && replica.CheckedLeaderTerm != node.Term)
        {
            // Election safety: at most one leader per term.
            if (_leaderOfTerm.TryGetValue(node.Term, out var other) && other != node.Id)
            {
                Fail($"two leaders in term {node.Term}: n{other} and n{node.Id}");
            }

            _leaderOfTerm[node.Term] = node.Id;
            Coverage.Leaders++;
            replica.CheckedLeaderTerm = node.Term;
            CheckLeaderCompleteness(node);
        }

        // State machine safety: every index is committed with one entry only, whoever reports it.
        if (node.Commit > replica.CheckedCommit)
        {
            var from = Math.Max(replica.CheckedCommit + 1, node.FirstIndex);
            if (from <= node.Commit)
            {
                var entries = node.LogSlice(from, node.Commit + 1);
                foreach (var entry in entries)
                {
                    RecordCommitted(entry, node.Term, node.Id);
                }
            }

            replica.CheckedCommit = node.Commit;
        }
    }

    private void RecordCommitted(Entry entry, ulong observerTerm, ulong observer)
    {
        var index = (int)entry.Index;
        while (_committed.Count <= index)
        {
            _committed.Add(null);
        }

        if (_committed[index] is not { } known)
        {
            _committed[index] = new CommittedEntry(entry, observerTerm);
        }
        else if (!SameEntry(known.Entry, entry))
        {
            Fail($"index {index} committed as {Show(known.Entry)} and, at n{observer}, as {Show(entry)}");
        }
        else if (observerTerm < known.ObservedTerm)
        {
            _committed[index] = known with { ObservedTerm = observerTerm };
        }
    }

    /// <summary>
    /// Leader completeness: a new leader's log holds every entry known committed in an earlier term. An entry seen
    /// committed by a replica in term t was committed in a term &lt;= t, so leaders of terms &gt; t must hold it.
    /// </summary>
    private void CheckLeaderCompleteness(RaftNode leader)
    {
        var lo = Math.Max(leader.FirstIndex, 1);
        var hi = Math.Min(leader.LastIndex, MaxCommitted);
        var log = lo <= hi ? leader.LogSlice(lo, hi + 1) : [];
        for (var index = lo; index <= MaxCommitted; index++)
        {
            if (_committed[(int)index] is not { } known || known.ObservedTerm >= leader.Term)
            {
                continue;
            }

            if (index > hi || !SameEntry(log[(int)(index - lo)], known.Entry))
            {
                Fail($"leader n{leader.Id} of term {leader.Term} lacks committed entry {Show(known.Entry)}");
            }
        }
    }

    /// <summary>Every replica applies the same sequence: the same hash after each index, wherever and whenever applied.</summary>
    public void CheckApplied(SimulatedReplica replica, Entry entry, ulong hash)
    {
        RecordCommitted(entry, replica.Node!.Term, replica.Id);
        var index = (int)entry.Index;
        while (_hashAt.Count <= index)
        {
            _hashAt.Add(0);
        }

        if (_hashAt[index] == 0)
        {
            _hashAt[index] = hash;
        }
        else if (_hashAt[index] != hash)
        {
            Fail($"n{replica.Id} state after applying {Show(entry)} differs from another replica's");
        }
    }

    /// <summary>A state machine restored from a snapshot must be the state every replica had at that index.</summary>
    public void CheckSnapshotState(SimulatedReplica replica, ulong snapshotIndex, ulong index, ulong hash)
    {
        if (snapshotIndex != index)
        {
            Fail($"n{replica.Id} snapshot at {snapshotIndex} holds state of index {index}");
        }

        if (index > 0 && (int)index < _hashAt.Count && _hashAt[(int)index] != 0 && _hashAt[(int)index] != hash)
        {
            Fail($"n{replica.Id} snapshot at {index} holds a state no replica had");
        }
    }

    /// <summary>ReadIndex is linearizable: the index returned covers every entry committed before the read was asked.</summary>
    public void CheckReadState(SimulatedReplica replica, ReadState read)
    {
        var id = BinaryPrimitives.ReadInt64BigEndian(read.Context.Span);
        Coverage.ReadsChecked++;
        if (_readFloor.Remove(id, out var floor) && read.Index < floor)
        {
            Fail($"n{replica.Id} read {id} served at index {read.Index}, but {floor} was committed before it was asked");
        }
    }

    /// <summary>Log matching: if two logs hold an entry with the same index and term, they are identical up to it.</summary>
    private void CheckLogMatching()
    {
        var up = _replicas.Where(r => r.IsUp).Select(r => r.Node!).ToArray();
        for (var a = 0; a < up.Length; a++)
        {
            for (var b = a + 1; b < up.Length; b++)
            {
                CheckLogMatching(up[a], up[b]);
            }
        }
    }

    private void CheckLogMatching(RaftNode a, RaftNode b)
    {
        // Below both commit indexes the logs hold the committed entries, which RecordCommitted already compares.
        var lo = Math.Max(Math.Max(a.FirstIndex, b.FirstIndex), Math.Min(a.Commit, b.Commit));
        var hi = Math.Min(a.LastIndex, b.LastIndex);
        if (lo > hi)
        {
            return;
        }

        var left = a.LogSlice(lo, hi + 1);
        var right = b.LogSlice(lo, hi + 1);
        var matching = false;
        for (var i = left.Count - 1; i >= 0; i--)
        {
            matching |= left[i].Term == right[i].Term;
            if (matching && !SameEntry(left[i], right[i]))
            {
                Fail($"log matching: n{a.Id} has {Show(left[i])} and n{b.Id} has {Show(right[i])} below a common entry");
            }
        }
    }

    private static bool SameEntry(Entry x, Entry y) =>
        x.Index == y.Index && x.Term == y.Term && x.Type == y.Type && x.Data.Span.SequenceEqual(y.Data.Span);

    private static string Show(Entry e) =>
        $"{e.Index}@t{e.Term}({(e.Data.Length >= 8 ? BinaryPrimitives.ReadInt64BigEndian(e.Data.Span).ToString(System.Globalization.CultureInfo.InvariantCulture) : "no-op")})";

    private readonly record struct CommittedEntry(Entry Entry, ulong ObservedTerm);
}

/// <summary>Counts of what simulations exercised (summed over seeds for the test's summary line).</summary>
internal sealed class SimulationCoverage
{
    public long Leaders { get; set; }

    public long Crashes { get; set; }

    public long LostReadies { get; set; }

    public long Compactions { get; set; }

    public long SnapshotsInstalled { get; set; }

    public long ReadsChecked { get; set; }

    public long Applied { get; set; }

    public void Add(SimulationCoverage other)
    {
        Leaders += other.Leaders;
        Crashes += other.Crashes;
        LostReadies += other.LostReadies;
        Compactions += other.Compactions;
        SnapshotsInstalled += other.SnapshotsInstalled;
        ReadsChecked += other.ReadsChecked;
        Applied += other.Applied;
    }

    public override string ToString() =>
        $"{Leaders} leaders, {Crashes} crashes ({LostReadies} losing an unsynced Ready), {Compactions} compactions, " +
        $"{SnapshotsInstalled} snapshots installed, {Applied} entries applied, {ReadsChecked} reads checked";
}
