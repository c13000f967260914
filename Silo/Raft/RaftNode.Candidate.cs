namespace EtcdOrleans.Raft;

/// <summary>Pre-candidates and candidates: campaigning and counting votes.</summary>
public sealed partial class RaftNode
{
    private void BecomePreCandidate()
    {
        // Unlike a real candidacy this changes neither term nor vote, so a replica that cannot win disturbs nobody.
        _step = _stepCandidate;
        _tick = _tickElection;
        _tracker.ResetVotes();
        Leader = 0;
        Role = RaftRole.PreCandidate;
    }

    private void BecomeCandidate()
    {
        _step = _stepCandidate;
        _tick = _tickElection;
        Reset(Term + 1);
        Vote = Id;
        Role = RaftRole.Candidate;
    }

    private void StartCampaign(bool preVote, bool transfer)
    {
        MessageType requestType;
        ulong term;
        if (preVote)
        {
            BecomePreCandidate();
            requestType = MessageType.PreVote;
            term = Term + 1;
        }
        else
        {
            BecomeCandidate();
            requestType = MessageType.Vote;
            term = Term;
        }

        _tracker.RecordVote(Id, granted: true);
        if (_tracker.TallyVotes() == VoteResult.Won)
        {
            // A single-voter cluster wins at once.
            if (preVote)
            {
                StartCampaign(preVote: false, transfer);
            }
            else
            {
                BecomeLeader();
            }

            return;
        }

        var lastIndex = _log.LastIndex;
        var lastTerm = _log.LastTerm;
        var context = transfer ? TransferCampaignContext : ReadOnlyMemory<byte>.Empty;
        foreach (var id in _tracker.Voters)
        {
            if (id != Id)
            {
                Send(new Message { From = Id, Type = requestType, To = id, Term = term, Index = lastIndex, LogTerm = lastTerm, Context = context });
            }
        }
    }

    private void StepCandidate(Message m)
    {
        var responseType = Role == RaftRole.PreCandidate ? MessageType.PreVoteResponse : MessageType.VoteResponse;
        switch (m.Type)
        {
            case MessageType.Append:
                BecomeFollower(m.Term, m.From);
                HandleAppend(m);
                return;
            case MessageType.Heartbeat:
                BecomeFollower(m.Term, m.From);
                HandleHeartbeat(m);
                return;
            case MessageType.InstallSnapshot:
                BecomeFollower(m.Term, m.From);
                HandleSnapshot(m);
                return;
            case var type when type == responseType:
                _tracker.RecordVote(m.From, !m.Reject);
                switch (_tracker.TallyVotes())
                {
                    case VoteResult.Won when Role == RaftRole.PreCandidate:
                        StartCampaign(preVote: false, transfer: false);
                        break;
                    case VoteResult.Won:
                        BecomeLeader();
                        BroadcastAppend();
                        break;
                    case VoteResult.Lost:
                        BecomeFollower(Term, 0);
                        break;
                }

                return;
            default:
                return;
        }
    }

    private void TickElection()
    {
        _electionElapsed++;
        if (_electionElapsed >= _randomizedElectionTimeout && Promotable)
        {
            _electionElapsed = 0;
            Hup(transfer: false);
        }
    }
}
