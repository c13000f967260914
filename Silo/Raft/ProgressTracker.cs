namespace EtcdOrleans.Raft;

/// <summary>Outcome of counting votes.</summary>
internal enum VoteResult : byte
{
    Pending = 0,
    Won = 1,
    Lost = 2,
}

/// <summary>
/// The configuration (voters and learners), the leader's <see cref="Progress"/> per replica, and the votes of the
/// current election. Quorum arithmetic (majority of voters) lives here.
/// </summary>
internal sealed class ProgressTracker
{
    private readonly Dictionary<ulong, Progress> _progress = [];
    private readonly Dictionary<ulong, bool> _votes = [];
    private readonly List<ulong> _voters = [];
    private readonly List<ulong> _learners = [];
    private readonly int _maxInflight;
    private ulong[] _matchBuffer = new ulong[8];

    public ProgressTracker(int maxInflight) => _maxInflight = maxInflight;

    public IReadOnlyList<ulong> Voters => _voters;

    public IReadOnlyList<ulong> Learners => _learners;

    public Dictionary<ulong, Progress> All => _progress;

    public int Quorum => (_voters.Count / 2) + 1;

    public bool IsVoter(ulong id) => _voters.Contains(id);

    public bool IsMember(ulong id) => _progress.ContainsKey(id);

    public Progress? Get(ulong id) => _progress.GetValueOrDefault(id);

    public ConfState ToConfState() => new([.. _voters], [.. _learners]);

    /// <summary>Replaces the configuration (at start-up or when restoring a snapshot).</summary>
    public void SetConfiguration(ConfState conf, ulong nextIndex)
    {
        _progress.Clear();
        _voters.Clear();
        _learners.Clear();
        foreach (var id in conf.Voters)
        {
            AddVoter(id, nextIndex);
        }

        foreach (var id in conf.Learners)
        {
            AddLearner(id, nextIndex);
        }
    }

    /// <summary>Applies one single-step change; returns false (and changes nothing) when it is invalid.</summary>
    public bool Apply(ConfChange change, ulong nextIndex)
    {
        var id = change.NodeId;
        if (id == 0)
        {
            return false;
        }

        switch (change.Type)
        {
            case ConfChangeType.AddVoter:
                if (_learners.Remove(id))
                {
                    _progress[id].IsLearner = false;
                    InsertSorted(_voters, id);
                    return true;
                }

                if (_voters.Contains(id))
                {
                    return false;
                }

                AddVoter(id, nextIndex);
                return true;
            case ConfChangeType.AddLearner:
                if (_learners.Contains(id))
                {
                    return false;
                }

                if (_voters.Contains(id))
                {
                    if (_voters.Count == 1)
                    {
                        return false;
                    }

                    _voters.Remove(id);
                    InsertSorted(_learners, id);
                    _progress[id].IsLearner = true;
                    return true;
                }

                AddLearner(id, nextIndex);
                return true;
            case ConfChangeType.RemoveNode:
                if (_voters.Contains(id) && _voters.Count == 1)
                {
                    return false;
                }

                var removed = _voters.Remove(id) | _learners.Remove(id);
                _progress.Remove(id);
                _votes.Remove(id);
                return removed;
            default:
                return false;
        }
    }

    /// <summary>The largest index replicated on a majority of voters.</summary>
    public ulong CommittedIndex()
    {
        var n = _voters.Count;
        if (n == 0)
        {
            return 0;
        }

        if (_matchBuffer.Length < n)
        {
            _matchBuffer = new ulong[n * 2];
        }

        var matches = _matchBuffer.AsSpan(0, n);
        for (var i = 0; i < n; i++)
        {
            matches[i] = _progress[_voters[i]].Match;
        }

        matches.Sort();
        return matches[n - Quorum];
    }

    /// <summary>True when a majority of voters (counting <paramref name="self"/>) were recently active.</summary>
    public bool QuorumActive(ulong self)
    {
        var active = 0;
        foreach (var id in _voters)
        {
            if (id == self || _progress[id].RecentActive)
            {
                active++;
            }
        }

        return active >= Quorum;
    }

    public void ResetVotes() => _votes.Clear();

    public void RecordVote(ulong id, bool granted) => _votes.TryAdd(id, granted);

    public VoteResult TallyVotes()
    {
        int granted = 0, rejected = 0;
        foreach (var id in _voters)
        {
            if (_votes.TryGetValue(id, out var vote))
            {
                if (vote)
                {
                    granted++;
                }
                else
                {
                    rejected++;
                }
            }
        }

        if (granted >= Quorum)
        {
            return VoteResult.Won;
        }

        return rejected > _voters.Count - Quorum ? VoteResult.Lost : VoteResult.Pending;
    }

    private void AddVoter(ulong id, ulong nextIndex)
    {
        InsertSorted(_voters, id);
        _progress[id] = NewProgress(nextIndex, isLearner: false);
    }

    private void AddLearner(ulong id, ulong nextIndex)
    {
        InsertSorted(_learners, id);
        _progress[id] = NewProgress(nextIndex, isLearner: true);
    }

    // A newly added replica counts as active so that check-quorum does not depose the leader before it is heard from.
    private Progress NewProgress(ulong nextIndex, bool isLearner) => new(nextIndex, _maxInflight, isLearner) { RecentActive = true };

    private static void InsertSorted(List<ulong> ids, ulong id)
    {
        var at = ids.BinarySearch(id);
        if (at < 0)
        {
            ids.Insert(~at, id);
        }
    }
}
