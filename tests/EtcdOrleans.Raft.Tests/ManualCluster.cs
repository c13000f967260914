using EtcdOrleans.Raft;

namespace EtcdOrleans.Raft.Tests;

/// <summary>
/// A tiny in-memory cluster for rule tests: every node persists its Ready to a <see cref="MemoryRaftStorage"/>, and
/// messages are delivered only when the test says so (optionally filtered), so each test controls the interleaving.
/// </summary>
internal sealed class ManualCluster
{
    private readonly Dictionary<ulong, MemoryRaftStorage> _storages = [];
    private readonly Dictionary<ulong, ConfState> _confs = [];

    public ManualCluster(int voters, int learners = 0, Func<ulong, RaftConfig>? configure = null)
    {
        var voterIds = Enumerable.Range(1, voters).Select(i => (ulong)i).ToArray();
        var learnerIds = Enumerable.Range(voters + 1, learners).Select(i => (ulong)i).ToArray();
        var conf = new ConfState(voterIds, learnerIds);
        foreach (var id in voterIds.Concat(learnerIds))
        {
            var storage = new MemoryRaftStorage(conf);
            _storages[id] = storage;
            _confs[id] = conf;
            Nodes[id] = new RaftNode(configure?.Invoke(id) ?? DefaultConfig(id), storage);
        }
    }

    public static RaftConfig DefaultConfig(ulong id) => new() { Id = id, ElectionTicks = 10, HeartbeatTicks = 1, Seed = (int)id };

    public Dictionary<ulong, RaftNode> Nodes { get; } = [];

    /// <summary>Messages produced and not yet delivered.</summary>
    public List<Message> InFlight { get; } = [];

    /// <summary>Committed normal entries applied by each node, in order.</summary>
    public Dictionary<ulong, List<Entry>> Applied { get; } = [];

    public Dictionary<ulong, List<ReadState>> ReadStates { get; } = [];

    /// <summary>Snapshots each node was told to install through its Ready, in order.</summary>
    public Dictionary<ulong, List<Snapshot>> InstalledSnapshots { get; } = [];

    public RaftNode this[ulong id] => Nodes[id];

    public MemoryRaftStorage Storage(ulong id) => _storages[id];

    /// <summary>Adds a node that is not in the initial configuration (empty storage).</summary>
    public RaftNode AddBlankNode(ulong id, RaftConfig? config = null)
    {
        var storage = new MemoryRaftStorage();
        _storages[id] = storage;
        _confs[id] = ConfState.Empty;
        return Nodes[id] = new RaftNode(config ?? DefaultConfig(id), storage);
    }

    /// <summary>Processes every node's Ready: persist, collect messages, apply.</summary>
    public void ProcessReadies()
    {
        foreach (var (id, node) in Nodes)
        {
            while (node.HasReady)
            {
                var ready = node.GetReady();
                var storage = _storages[id];
                if (ready.Snapshot is { } snapshot)
                {
                    storage.ApplySnapshot(snapshot);
                    _confs[id] = snapshot.Metadata.ConfState;
                    (InstalledSnapshots.TryGetValue(id, out var installed) ? installed : InstalledSnapshots[id] = []).Add(snapshot);
                }

                storage.Append(ready.Entries);
                if (ready.HardState is { } hard)
                {
                    storage.SetHardState(hard);
                }

                InFlight.AddRange(ready.Messages);
                var applied = Applied.TryGetValue(id, out var list) ? list : Applied[id] = [];
                foreach (var entry in ready.CommittedEntries)
                {
                    if (entry.Type == EntryType.ConfChange)
                    {
                        _confs[id] = node.ApplyConfChange(ConfChange.FromEntry(entry));
                    }
                    else if (entry.Data.Length > 0)
                    {
                        applied.Add(entry);
                    }
                }

                var reads = ReadStates.TryGetValue(id, out var rl) ? rl : ReadStates[id] = [];
                reads.AddRange(ready.ReadStates);
                node.Advance(ready);
            }
        }
    }

    /// <summary>Delivers messages (and the messages they cause) until none are left; <paramref name="drop"/> filters.</summary>
    public int Deliver(Func<Message, bool>? drop = null, int maxRounds = 1000)
    {
        var delivered = 0;
        ProcessReadies();
        for (var round = 0; round < maxRounds && InFlight.Count > 0; round++)
        {
            var batch = InFlight.ToArray();
            InFlight.Clear();
            foreach (var message in batch)
            {
                if (drop?.Invoke(message) == true || !Nodes.TryGetValue(message.To, out var target))
                {
                    continue;
                }

                target.Step(message);
                delivered++;
            }

            ProcessReadies();
        }

        return delivered;
    }

    /// <summary>Takes the pending messages without delivering them.</summary>
    public List<Message> Take(Func<Message, bool>? which = null)
    {
        ProcessReadies();
        var taken = InFlight.Where(m => which?.Invoke(m) ?? true).ToList();
        InFlight.RemoveAll(m => which?.Invoke(m) ?? true);
        return taken;
    }

    /// <summary>Makes <paramref name="id"/> campaign and delivers everything, returning the node.</summary>
    public RaftNode Elect(ulong id, Func<Message, bool>? drop = null)
    {
        Nodes[id].Campaign();
        Deliver(drop);
        return Nodes[id];
    }

    public void TickAll(int ticks, Func<Message, bool>? drop = null)
    {
        for (var i = 0; i < ticks; i++)
        {
            foreach (var node in Nodes.Values)
            {
                node.Tick();
            }

            Deliver(drop);
        }
    }

    public Snapshot Compact(ulong id, ReadOnlyMemory<byte> data) =>
        _storages[id].Compact(Nodes[id].Applied, _confs[id], data);

    /// <summary>Restarts a node from its storage, losing everything not persisted.</summary>
    public RaftNode Restart(ulong id) => Nodes[id] = new RaftNode(DefaultConfig(id), _storages[id]);

    public static ReadOnlyMemory<byte> Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);
}
