using EtcdOrleans.Raft;

namespace EtcdOrleans.Raft.Tests.Simulation;

/// <summary>
/// An unreliable network between simulated replicas: each message is delayed by a random number of ticks, may be
/// dropped or duplicated, is delivered in random order with the others due at the same time, and is lost when a
/// partition separates its ends (or its recipient is down) at delivery time.
/// </summary>
internal sealed class SimulatedNetwork
{
    private readonly RaftSimulation _sim;
    private readonly List<(Message Message, int DeliverAt)> _inFlight = [];
    private readonly List<Message> _due = [];
    private int[] _side;

    public SimulatedNetwork(RaftSimulation sim, int replicas)
    {
        _sim = sim;
        _side = new int[replicas + 1];
    }

    /// <summary>Messages are dropped with this probability (besides partitions).</summary>
    public double DropRate { get; set; }

    public bool IsPartitioned { get; private set; }

    public int InFlightCount => _inFlight.Count;

    public void Send(Message message)
    {
        var options = _sim.Options;
        var random = _sim.Random;
        _inFlight.Add((message, _sim.Now + random.Next(options.MaxDelayTicks + 1)));
        if (random.NextDouble() < options.DuplicateRate)
        {
            _inFlight.Add((message, _sim.Now + random.Next(options.MaxDelayTicks + 1)));
        }
    }

    /// <summary>Splits the replicas into two random sides (either may be empty or a minority).</summary>
    public void Partition()
    {
        var random = _sim.Random;
        _side = new int[_side.Length];
        for (var i = 1; i < _side.Length; i++)
        {
            _side[i] = random.Next(2);
        }

        IsPartitioned = true;
        if (_sim.Tracing)
        {
            _sim.Trace($"partition [{string.Join(",", Enumerable.Range(1, _side.Length - 1).Where(i => _side[i] == 0))}] | [{string.Join(",", Enumerable.Range(1, _side.Length - 1).Where(i => _side[i] == 1))}]");
        }
    }

    public void Heal()
    {
        Array.Clear(_side);
        IsPartitioned = false;
        if (_sim.Tracing)
        {
            _sim.Trace("heal");
        }
    }

    public bool CanTalk(ulong a, ulong b) => _side[a] == _side[b];

    /// <summary>Delivers, in random order, every message due by now.</summary>
    public void DeliverDue(IReadOnlyList<SimulatedReplica> replicas)
    {
        _due.Clear();
        var now = _sim.Now;
        var kept = 0;
        for (var i = 0; i < _inFlight.Count; i++)
        {
            if (_inFlight[i].DeliverAt <= now)
            {
                _due.Add(_inFlight[i].Message);
            }
            else
            {
                _inFlight[kept++] = _inFlight[i];
            }
        }

        _inFlight.RemoveRange(kept, _inFlight.Count - kept);
        var random = _sim.Random;
        for (var i = _due.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (_due[i], _due[j]) = (_due[j], _due[i]);
        }

        foreach (var message in _due)
        {
            var target = replicas[(int)message.To - 1];
            if (!CanTalk(message.From, message.To) || target.Node is not { } node || random.NextDouble() < DropRate)
            {
                continue;
            }

            if (_sim.Tracing)
            {
                _sim.Trace(message.ToString());
            }

            node.Step(message);
        }
    }
}
