using System.Buffers.Binary;
using EtcdOrleans.Raft;

namespace EtcdOrleans.Raft.Tests.Simulation;

/// <summary>
/// The host of one replica in the simulation, following the host contract: a Ready is persisted (snapshot, entries,
/// hard state) before its messages are sent and its committed entries applied. Persisting is not instantaneous: a
/// Ready taken from the node stays pending until its "fsync" completes, and the node keeps ticking and stepping
/// meanwhile. A crash loses the volatile node, the state machine and a pending Ready (the unsynced tail, whose messages
/// were therefore never sent); the <see cref="MemoryRaftStorage"/> is what had been made durable.
/// </summary>
internal sealed class SimulatedReplica
{
    private readonly RaftSimulation _sim;
    private Ready? _pending;

    public SimulatedReplica(RaftSimulation sim, ulong id, ConfState initial)
    {
        _sim = sim;
        Id = id;
        Storage = new MemoryRaftStorage(initial);
        Start();
    }

    public ulong Id { get; }

    /// <summary>The durable store: survives crashes.</summary>
    public MemoryRaftStorage Storage { get; }

    /// <summary>The running node; null while crashed.</summary>
    public RaftNode? Node { get; private set; }

    public bool IsUp => Node is not null;

    /// <summary>Simulation time at which a crashed replica comes back.</summary>
    public int RestartAt { get; set; }

    /// <summary>The state machine: index of the last applied entry and a hash of everything applied up to it.</summary>
    public ulong AppliedIndex { get; private set; }

    public ulong AppliedHash { get; private set; }

    /// <summary>Highest commit index of this incarnation already checked against the cluster-wide committed log.</summary>
    public ulong CheckedCommit { get; set; }

    /// <summary>Term in which this replica was last seen leading (for the leader-completeness check on each new term).</summary>
    public ulong CheckedLeaderTerm { get; set; }

    public void Crash()
    {
        if (_sim.Tracing)
        {
            _sim.Trace($"crash n{Id}{(_pending is null ? "" : " losing an unsynced Ready")}");
        }
        _sim.Coverage.Crashes++;
        _sim.Coverage.LostReadies += _pending is null ? 0 : 1;
        Node = null;
        _pending = null;
    }

    public void Start()
    {
        var config = new RaftConfig
        {
            Id = Id,
            ElectionTicks = RaftSimulation.ElectionTicks,
            HeartbeatTicks = RaftSimulation.HeartbeatTicks,
            Seed = _sim.Random.Next(),
            MaxSizePerMsg = _sim.Options.MaxSizePerMsg,
            MaxInflightMsgs = _sim.Options.MaxInflightMsgs,
            MaxUncommittedEntriesSize = _sim.Options.MaxUncommittedEntriesSize,
        };
        Node = new RaftNode(config, Storage);
        // The state machine restarts from the durable snapshot; the node re-delivers the committed entries after it.
        var snapshot = Storage.Snapshot;
        (AppliedIndex, AppliedHash) = snapshot.IsEmpty ? (0UL, 0UL) : DecodeState(snapshot);
        CheckedCommit = Node.FirstIndex - 1;
        CheckedLeaderTerm = 0;
        _sim.CheckSnapshotState(this, snapshot.Metadata.Index, AppliedIndex, AppliedHash);
        if (_sim.Tracing)
        {
            _sim.Trace($"start n{Id} term {Node.Term} commit {Node.Commit} first {Node.FirstIndex} last {Node.LastIndex}");
        }
    }

    /// <summary>Takes a Ready if there is none pending, and completes the pending one when its fsync "finishes".</summary>
    public void ProcessReady(bool syncCompletes)
    {
        var node = Node!;
        if (_pending is null && node.HasReady)
        {
            _pending = node.GetReady();
        }

        if (_pending is null || !syncCompletes)
        {
            return;
        }

        var ready = _pending;
        _pending = null;
        if (ready.Snapshot is { } snapshot)
        {
            Storage.ApplySnapshot(snapshot);
        }

        Storage.Append(ready.Entries);
        if (ready.HardState is { } hardState)
        {
            Storage.SetHardState(hardState);
        }

        // Durable now: only from here on may the messages leave.
        foreach (var message in ready.Messages)
        {
            _sim.Network.Send(message);
        }

        if (ready.Snapshot is { } installed)
        {
            (AppliedIndex, AppliedHash) = DecodeState(installed);
            _sim.Coverage.SnapshotsInstalled++;
            _sim.CheckSnapshotState(this, installed.Metadata.Index, AppliedIndex, AppliedHash);
            if (_sim.Tracing)
            {
                _sim.Trace($"n{Id} installs snapshot {installed.Metadata.Index}");
            }
        }

        foreach (var entry in ready.CommittedEntries)
        {
            Apply(entry);
        }

        foreach (var read in ready.ReadStates)
        {
            _sim.CheckReadState(this, read);
        }

        MaybeCompact(node);
        node.Advance(ready);
    }

    private void Apply(Entry entry)
    {
        if (entry.Index != AppliedIndex + 1)
        {
            _sim.Fail($"n{Id} applies index {entry.Index} after {AppliedIndex}");
        }

        AppliedIndex = entry.Index;
        AppliedHash = Mix(AppliedHash, entry);
        _sim.Coverage.Applied++;
        _sim.CheckApplied(this, entry, AppliedHash);
    }

    private void MaybeCompact(RaftNode node)
    {
        var every = _sim.Options.CompactEvery;
        if (every > 0 && AppliedIndex >= Storage.Snapshot.Metadata.Index + (ulong)every)
        {
            var data = new byte[16];
            BinaryPrimitives.WriteUInt64BigEndian(data, AppliedIndex);
            BinaryPrimitives.WriteUInt64BigEndian(data.AsSpan(8), AppliedHash);
            // Like etcd: snapshot at the applied index, keep a tail of entries for followers a little behind.
            var keep = (ulong)_sim.Options.CompactKeep;
            Storage.CreateSnapshot(AppliedIndex, node.ConfState, data);
            Storage.CompactTo(AppliedIndex > keep ? AppliedIndex - keep : 0);
            _sim.Coverage.Compactions++;
            if (_sim.Tracing)
            {
                _sim.Trace($"n{Id} snapshots at {AppliedIndex}, compacts to {Storage.FirstIndex - 1}");
            }
        }
    }

    private static (ulong Index, ulong Hash) DecodeState(Snapshot snapshot) =>
        (BinaryPrimitives.ReadUInt64BigEndian(snapshot.Data.Span), BinaryPrimitives.ReadUInt64BigEndian(snapshot.Data.Span[8..]));

    /// <summary>The state machine's transition: a hash chain over the applied entries' data (no-ops included).</summary>
    public static ulong Mix(ulong hash, Entry entry)
    {
        var h = (hash ^ entry.Index) * 0x100000001B3UL;
        foreach (var b in entry.Data.Span)
        {
            h = (h ^ b) * 0x100000001B3UL;
        }

        return h ^ (h >> 29);
    }
}
