using System.Buffers.Binary;

namespace EtcdOrleans.Raft;

/// <summary>
/// The leader's linearizable read barriers (ReadIndex). At most one heartbeat round is in flight; every read that arrives
/// while it is in flight waits and shares the next round, so a burst of reads costs one quorum round, not one each.
/// A round records the commit index when it starts; once a quorum of voters acknowledges its heartbeat, every read in
/// it may be served at that index.
/// </summary>
internal sealed class ReadOnly
{
    private readonly HashSet<ulong> _acks = [];
    private List<PendingRead> _waiting = [];
    private List<PendingRead> _round = [];
    private byte[] _roundContext = new byte[8];
    private ulong _roundNumber;

    public bool HasWaiting => _waiting.Count > 0;

    public bool RoundActive { get; private set; }

    /// <summary>The commit index the active round will release its reads at.</summary>
    public ulong RoundIndex { get; private set; }

    /// <summary>The context the active round's heartbeats carry (empty when none is active).</summary>
    public ReadOnlyMemory<byte> RoundContext => RoundActive ? _roundContext : ReadOnlyMemory<byte>.Empty;

    public IReadOnlyList<PendingRead> RoundReads => _round;

    public void Add(ulong requester, ReadOnlyMemory<byte> context) => _waiting.Add(new PendingRead(requester, context));

    /// <summary>Moves every waiting read into a new round at <paramref name="index"/>; the leader's own ack is implied.</summary>
    public void StartRound(ulong index, ulong self)
    {
        (_round, _waiting) = (_waiting, _round);
        _waiting.Clear();
        _roundNumber++;
        // A fresh array per round: heartbeats already handed out keep the context they were sent with.
        _roundContext = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(_roundContext, _roundNumber);
        RoundIndex = index;
        RoundActive = true;
        _acks.Clear();
        _acks.Add(self);
    }

    /// <summary>Records a heartbeat acknowledgement; returns true when it belongs to the active round.</summary>
    public bool Ack(ulong from, ReadOnlySpan<byte> context)
    {
        if (!RoundActive || context.Length != 8 || BinaryPrimitives.ReadUInt64BigEndian(context) != _roundNumber)
        {
            return false;
        }

        _acks.Add(from);
        return true;
    }

    public bool HasAck(ulong id) => _acks.Contains(id);

    public void EndRound()
    {
        _round.Clear();
        RoundActive = false;
    }

    /// <summary>Drops every read (leadership lost or a new term): their requesters must retry.</summary>
    public void Reset()
    {
        _waiting.Clear();
        _round.Clear();
        _acks.Clear();
        RoundActive = false;
    }
}

/// <summary>A read waiting for its barrier: who asked (this replica or a follower) and the request's context.</summary>
internal readonly record struct PendingRead(ulong Requester, ReadOnlyMemory<byte> Context);
