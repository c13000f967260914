using EtcdOrleans.Raft;

namespace EtcdOrleans.Raft.Tests;

/// <summary>Linearizable reads (thesis §6.4 ReadIndex) and leadership transfer (thesis §3.10).</summary>
public sealed class ReadIndexAndTransferRuleTests
{
    private static ReadOnlyMemory<byte> B(string s) => ManualCluster.Bytes(s);

    [Fact]
    public void ReadIndex_AllReadsWaitingAtOneMoment_ShareOneHeartbeatRound()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        cluster.Deliver();
        cluster[1].ReadIndex(B("r1"));
        cluster[1].ReadIndex(B("r2"));
        cluster[1].ReadIndex(B("r3"));
        var heartbeats = cluster.Take(m => m.Type == MessageType.Heartbeat);
        // r1 started a round (one heartbeat per follower); r2 and r3 wait for the next one, shared.
        Assert.Equal(2, heartbeats.Count);
        foreach (var hb in heartbeats)
        {
            cluster[hb.To].Step(hb);
        }

        var nextRound = 0;
        cluster.Deliver(m =>
        {
            if (m.Type == MessageType.Heartbeat)
            {
                nextRound++;
            }

            return false;
        });
        Assert.Equal(2, nextRound);
        var states = cluster.ReadStates[1];
        Assert.Equal(["r1", "r2", "r3"], states.Select(s => System.Text.Encoding.UTF8.GetString(s.Context.Span)));
        Assert.All(states, s => Assert.Equal(cluster[1].Commit, s.Index));
    }

    [Fact]
    public void ReadIndex_IsNotServed_UntilLeaderHasCommittedAnEntryOfItsTerm()
    {
        var cluster = new ManualCluster(3);
        cluster[1].Campaign();
        cluster.Deliver(m => m.Type == MessageType.Append || m.Type == MessageType.AppendResponse);
        Assert.Equal(RaftRole.Leader, cluster[1].Role);
        Assert.Equal(0UL, cluster[1].Commit);
        cluster[1].ReadIndex(B("early"));
        cluster.TickAll(2, m => m.Type == MessageType.Append || m.Type == MessageType.AppendResponse);
        Assert.Empty(cluster.ReadStates[1]);
        cluster.TickAll(2);
        Assert.Single(cluster.ReadStates[1]);
        Assert.True(cluster.ReadStates[1][0].Index >= 1);
    }

    [Fact]
    public void ReadIndex_LeaderCutOffFromQuorum_ServesNoRead()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        cluster.Deliver();
        cluster[1].ReadIndex(B("r"));
        cluster.TickAll(5, m => m.From == 1 || m.To == 1);
        Assert.Empty(cluster.ReadStates[1]);
    }

    [Fact]
    public void ReadIndex_Follower_ForwardsToLeader_AndGetsTheLeadersCommitIndex()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        cluster[1].Propose(B("w"));
        cluster.Deliver();
        Assert.True(cluster[2].ReadIndex(B("f")));
        cluster.Deliver();
        var state = Assert.Single(cluster.ReadStates[2]);
        Assert.Equal(cluster[1].Commit, state.Index);
        Assert.Equal("f", System.Text.Encoding.UTF8.GetString(state.Context.Span));
    }

    [Fact]
    public void ReadIndex_WithoutKnownLeader_IsRefused()
    {
        var cluster = new ManualCluster(3);
        Assert.False(cluster[2].ReadIndex(B("r")));
    }

    [Fact]
    public void TransferLeadership_TransfereeCampaignsAtOnce_BypassingPreVoteAndLease()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        cluster.Deliver();
        cluster[1].TransferLeadership(3);
        Assert.Equal(3UL, cluster[1].LeadTransferee);
        Assert.Equal(ProposeStatus.TransferInProgress, cluster[1].Propose(B("x")).Status);
        cluster.Deliver();
        Assert.Equal(RaftRole.Leader, cluster[3].Role);
        Assert.Equal(2UL, cluster[3].Term);
        Assert.Equal(3UL, cluster[1].Leader);
    }

    [Fact]
    public void TransferLeadership_CatchesUpALaggingTransfereeFirst()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        for (var i = 0; i < 5; i++)
        {
            cluster[1].Propose(B($"e{i}"));
        }

        cluster.Deliver(m => m.To == 3);
        Assert.True(cluster[3].LastIndex < cluster[1].LastIndex);
        cluster[2].TransferLeadership(3); // requested at a follower: forwarded to the leader
        cluster.Deliver();
        Assert.Equal(RaftRole.Leader, cluster[3].Role);
        Assert.Contains(cluster.Applied[3], e => System.Text.Encoding.UTF8.GetString(e.Data.Span) == "e4");
    }

    [Fact]
    public void TransferLeadership_IsAbandonedAfterAnElectionTimeout_WhenTransfereeIsUnreachable()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        cluster.Deliver();
        cluster[1].TransferLeadership(3);
        cluster.TickAll(12, m => m.To == 3);
        Assert.Equal(0UL, cluster[1].LeadTransferee);
        Assert.Equal(RaftRole.Leader, cluster[1].Role);
        Assert.True(cluster[1].Propose(B("x")).IsAccepted);
    }
}
