using EtcdOrleans.Raft;

namespace EtcdOrleans.Raft.Tests;

/// <summary>Leader election rules (Raft paper §5.2, §5.4.1; thesis §9.6 pre-vote, §6.2 check-quorum).</summary>
public sealed class ElectionRuleTests
{
    [Fact]
    public void SingleVoter_BecomesLeaderAtOnce()
    {
        var cluster = new ManualCluster(1);
        cluster[1].Campaign();
        Assert.Equal(RaftRole.Leader, cluster[1].Role);
        Assert.Equal(1UL, cluster[1].Term);
    }

    [Fact]
    public void Candidate_WithMajorityOfVotes_BecomesLeader_AndAppendsEmptyEntryOfItsTerm()
    {
        var cluster = new ManualCluster(3);
        var leader = cluster.Elect(1);
        Assert.Equal(RaftRole.Leader, leader.Role);
        Assert.Equal(1UL, leader.Term);
        Assert.Equal(1UL, leader.LastIndex);
        Assert.Equal(1UL, leader.TermAt(1));
        Assert.Equal(1UL, leader.Commit);
        Assert.All(new ulong[] { 2, 3 }, id => Assert.Equal(1UL, cluster[id].Leader));
    }

    [Fact]
    public void ElectionTimeout_IsRandomizedWithin_ElectionTicks_To_TwiceElectionTicks()
    {
        var seen = new HashSet<int>();
        for (var seed = 0; seed < 200; seed++)
        {
            var storage = new MemoryRaftStorage(new ConfState([1, 2, 3], []));
            var node = new RaftNode(new RaftConfig { Id = 1, ElectionTicks = 10, Seed = seed }, storage);
            var ticks = 0;
            while (node.Role == RaftRole.Follower)
            {
                node.Tick();
                ticks++;
            }

            Assert.InRange(ticks, 10, 19);
            seen.Add(ticks);
        }

        Assert.True(seen.Count > 5, "timeouts should vary with the seed");
    }

    [Fact]
    public void Vote_IsGrantedAtMostOncePerTerm()
    {
        var cluster = new ManualCluster(3, configure: id => ManualCluster.DefaultConfig(id) with { PreVote = false });
        cluster[1].Campaign();
        cluster[2].Campaign();
        var requests = cluster.Take(m => m.Type == MessageType.Vote && m.To == 3);
        Assert.Equal(2, requests.Count);
        foreach (var request in requests)
        {
            cluster[3].Step(request);
        }

        var responses = cluster.Take(m => m.Type == MessageType.VoteResponse && m.From == 3);
        Assert.Equal(2, responses.Count);
        Assert.Single(responses, r => !r.Reject);
        Assert.Equal(requests[0].From, responses.Single(r => !r.Reject).To);
    }

    [Fact]
    public void Vote_IsRejected_WhenCandidateLogIsLessUpToDate()
    {
        var cluster = new ManualCluster(3, configure: id => ManualCluster.DefaultConfig(id) with { PreVote = false, CheckQuorum = false });
        cluster.Elect(1);
        cluster[1].Propose(ManualCluster.Bytes("x"));
        cluster.Deliver(m => m.To == 3); // node 3 misses the entry
        Assert.True(cluster[2].LastIndex > cluster[3].LastIndex);

        cluster[3].Campaign();
        var request = cluster.Take(m => m.Type == MessageType.Vote && m.To == 2).Single();
        cluster.InFlight.Clear();
        cluster[2].Step(request);
        var response = cluster.Take(m => m.Type == MessageType.VoteResponse).Single();
        Assert.True(response.Reject);
    }

    [Fact]
    public void PreVote_DoesNotIncreaseAnyTerm_WhenCandidateCannotWin()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        var terms = cluster.Nodes.Values.Select(n => n.Term).ToArray();
        // Node 3 is cut off and keeps timing out.
        for (var i = 0; i < 100; i++)
        {
            cluster[3].Tick();
            cluster.Deliver(m => m.To == 3 || m.From == 3);
        }

        Assert.Equal(terms, cluster.Nodes.Values.Select(n => n.Term).ToArray());
        Assert.NotEqual(RaftRole.Candidate, cluster[3].Role);
    }

    [Fact]
    public void PreVote_PartitionedReplicaRejoining_DoesNotDisruptHealthyLeader()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        for (var i = 0; i < 50; i++)
        {
            foreach (var node in cluster.Nodes.Values)
            {
                node.Tick();
            }

            cluster.Deliver(m => m.To == 3 || m.From == 3);
        }

        cluster.TickAll(30);
        Assert.Equal(RaftRole.Leader, cluster[1].Role);
        Assert.Equal(1UL, cluster[1].Term);
        Assert.Equal(1UL, cluster[3].Leader);
    }

    [Fact]
    public void CheckQuorum_LeaderStepsDown_WhenItHasNotHeardFromAQuorumForAnElectionTimeout()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        for (var i = 0; i < 25 && cluster[1].Role == RaftRole.Leader; i++)
        {
            cluster[1].Tick();
            cluster.Deliver(m => m.From == 1 || m.To == 1);
        }

        Assert.Equal(RaftRole.Follower, cluster[1].Role);
    }

    [Fact]
    public void CheckQuorum_VoterWithinLeaderLease_IgnoresHigherTermVoteRequests()
    {
        var cluster = new ManualCluster(3, configure: id => ManualCluster.DefaultConfig(id) with { PreVote = false });
        cluster.Elect(1);
        cluster[2].Step(new Message { Type = MessageType.Vote, From = 3, To = 2, Term = 5, Index = 10, LogTerm = 5 });
        Assert.Equal(1UL, cluster[2].Term);
        Assert.Empty(cluster.Take(m => m.From == 2 && m.Type == MessageType.VoteResponse));
    }

    [Fact]
    public void HigherTermMessage_MakesLeaderStepDown()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        cluster[1].Step(new Message { Type = MessageType.AppendResponse, From = 2, To = 1, Term = 7 });
        Assert.Equal(RaftRole.Follower, cluster[1].Role);
        Assert.Equal(7UL, cluster[1].Term);
    }

    [Fact]
    public void StaleTermAppend_IsAnsweredWithCurrentTerm_SoStaleLeaderStepsDown()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        // Node 1 is cut off; 2 and 3 elect a new leader in a higher term once the lease has expired.
        for (var i = 0; i < 40; i++)
        {
            cluster[2].Tick();
            cluster[3].Tick();
            cluster.Deliver(m => m.To == 1 || m.From == 1);
        }

        var newLeader = cluster.Nodes.Values.Single(n => n.Id != 1 && n.Role == RaftRole.Leader);
        Assert.True(newLeader.Term > 1);
        newLeader.Step(new Message { Type = MessageType.Heartbeat, From = 1, To = newLeader.Id, Term = 1 });
        var answer = cluster.Take(m => m.From == newLeader.Id && m.To == 1).Single();
        Assert.Equal(MessageType.AppendResponse, answer.Type);
        Assert.Equal(newLeader.Term, answer.Term);
        cluster[1].Step(answer);
        Assert.Equal(RaftRole.Follower, cluster[1].Role);
    }

    [Fact]
    public void Learner_NeverCampaigns_AndItsVoteIsNotCounted()
    {
        var cluster = new ManualCluster(2, learners: 1);
        for (var i = 0; i < 100; i++)
        {
            cluster[3].Tick();
        }

        Assert.Equal(RaftRole.Follower, cluster[3].Role);
        Assert.Equal(0UL, cluster[3].Term);

        // Voter 1 campaigns; voter 2 is unreachable; the learner's grant must not make a majority of {1, 2}.
        cluster[1].Campaign();
        cluster.Deliver(m => m.To == 2);
        Assert.NotEqual(RaftRole.Leader, cluster[1].Role);
    }

    [Fact]
    public void Restart_RecoversTermVoteAndLog_FromStorage()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        cluster[1].Propose(ManualCluster.Bytes("a"));
        cluster.Deliver();
        var restarted = cluster.Restart(2);
        Assert.Equal(1UL, restarted.Term);
        Assert.Equal(1UL, restarted.Vote);
        Assert.Equal(cluster[1].LastIndex, restarted.LastIndex);
        Assert.Equal(RaftRole.Follower, restarted.Role);
    }
}
