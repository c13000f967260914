namespace EtcdOrleans.Raft;

/// <summary>How the leader is currently replicating to a follower.</summary>
public enum ProgressState : byte
{
    /// <summary>Unknown match: send one Append at a time and wait for its answer to find where the logs agree.</summary>
    Probe = 0,

    /// <summary>Match known: stream Appends optimistically, up to the inflight window.</summary>
    Replicate = 1,

    /// <summary>The follower needs entries that were compacted: a snapshot is on its way; send nothing else.</summary>
    Snapshot = 2,
}

/// <summary>The leader's view of one replica's log (etcd-raft's Progress).</summary>
internal sealed class Progress
{
    public Progress(ulong next, int maxInflight, bool isLearner)
    {
        Next = next;
        Inflights = new Inflights(maxInflight);
        IsLearner = isLearner;
    }

    /// <summary>Highest index known to be replicated on the replica.</summary>
    public ulong Match { get; set; }

    /// <summary>Index of the next entry to send.</summary>
    public ulong Next { get; set; }

    public ProgressState State { get; private set; }

    /// <summary>Snapshot state: the index of the snapshot sent.</summary>
    public ulong PendingSnapshot { get; private set; }

    /// <summary>
    /// The highest commit index this replica can have learned from what was sent to it in this term (an Append's commit
    /// capped by its last index, a heartbeat's commit). Lets the leader announce a new commit index only to those that need it.
    /// </summary>
    public ulong CommitSent { get; set; }

    /// <summary>Ticks spent in the snapshot state, so that a snapshot lost in transit is sent again.</summary>
    public int SnapshotTicks { get; set; }

    /// <summary>Heard from since the last check-quorum round.</summary>
    public bool RecentActive { get; set; }

    /// <summary>Probe state: an Append was sent and its answer (or a heartbeat response) is awaited.</summary>
    public bool ProbeSent { get; set; }

    public bool IsLearner { get; set; }

    public Inflights Inflights { get; }

    public bool IsPaused => State switch
    {
        ProgressState.Probe => ProbeSent,
        ProgressState.Replicate => Inflights.IsFull,
        _ => true,
    };

    public void BecomeProbe()
    {
        if (State == ProgressState.Snapshot)
        {
            var pending = PendingSnapshot;
            Reset(ProgressState.Probe);
            Next = Math.Max(Match + 1, pending + 1);
        }
        else
        {
            Reset(ProgressState.Probe);
            Next = Match + 1;
        }
    }

    public void BecomeReplicate()
    {
        Reset(ProgressState.Replicate);
        Next = Match + 1;
    }

    public void BecomeSnapshot(ulong snapshotIndex)
    {
        Reset(ProgressState.Snapshot);
        PendingSnapshot = snapshotIndex;
    }

    /// <summary>An acknowledgement up to <paramref name="index"/>; returns false when it tells nothing new.</summary>
    public bool MaybeUpdate(ulong index)
    {
        var updated = false;
        if (Match < index)
        {
            Match = index;
            updated = true;
            ProbeSent = false;
        }

        Next = Math.Max(Next, index + 1);
        return updated;
    }

    /// <summary>
    /// A rejection of the Append at <paramref name="rejected"/>, with the follower's hint. Returns false for stale
    /// rejections; otherwise moves <see cref="Next"/> back.
    /// </summary>
    public bool MaybeDecreaseTo(ulong rejected, ulong matchHint)
    {
        if (State == ProgressState.Replicate)
        {
            if (rejected <= Match)
            {
                return false;
            }

            Next = Match + 1;
            return true;
        }

        if (Next == 0 || Next - 1 != rejected)
        {
            return false;
        }

        // A replica that rejects even index 0 holds no configuration at all (a blank replica added to the cluster): it
        // can only start from a snapshot, which Next = 0 (below every first index) asks for.
        Next = rejected == 0 ? 0 : Math.Max(Math.Min(rejected, matchHint + 1), Match + 1);
        ProbeSent = false;
        return true;
    }

    /// <summary>Bookkeeping after sending an Append whose last entry is <paramref name="lastIndex"/> (0 entries: none).</summary>
    public void SentEntries(int count, ulong lastIndex)
    {
        if (State == ProgressState.Replicate)
        {
            if (count > 0)
            {
                Next = lastIndex + 1;
                Inflights.Add(lastIndex);
            }
        }
        else if (State == ProgressState.Probe)
        {
            ProbeSent = true;
        }
    }

    /// <summary>A new term begins: nothing is known about the replica except that it may have up to <paramref name="next"/> - 1.</summary>
    public void ResetForNewTerm(ulong next)
    {
        Reset(ProgressState.Probe);
        Match = 0;
        Next = next;
        CommitSent = 0;
        RecentActive = false;
    }

    private void Reset(ProgressState state)
    {
        ProbeSent = false;
        PendingSnapshot = 0;
        SnapshotTicks = 0;
        State = state;
        Inflights.Reset();
    }

    public override string ToString() => $"{State} match={Match} next={Next}{(IsLearner ? " learner" : "")}";
}
