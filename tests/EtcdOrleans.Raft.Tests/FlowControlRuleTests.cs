using EtcdOrleans.Raft;

namespace EtcdOrleans.Raft.Tests;

/// <summary>
/// The leader's per-follower flow control (probe, replicate, snapshot states, as in etcd-raft's Progress) and how the
/// commit index reaches followers (Raft §5.3: it rides on Appends; here it is also announced once per Ready).
/// </summary>
public sealed class FlowControlRuleTests
{
    private static ReadOnlyMemory<byte> B(string s) => ManualCluster.Bytes(s);

    [Fact]
    public void Probe_SendsOneAppendAtATime_UntilAnswered_ThenReplicateStreams()
    {
        var cluster = new ManualCluster(3);
        // A new leader knows nothing of the followers' logs and probes; replica 2 does not hear its first probe.
        cluster.Elect(1, drop: m => m.To == 2 || m.From == 2);
        Assert.Equal(ProgressState.Probe, cluster[1].GetProgress(2)!.Value.State);

        for (var i = 0; i < 5; i++)
        {
            cluster[1].Propose(B($"p{i}"));
        }

        // Paused while its probe is unanswered: proposals send nothing more to replica 2.
        Assert.Empty(cluster.Take(m => m.Type == MessageType.Append && m.To == 2));

        // A heartbeat response unpauses one probe; its answer switches to replicate, and replicate streams at once.
        cluster.TickAll(2);
        Assert.Equal(ProgressState.Replicate, cluster[1].GetProgress(2)!.Value.State);
        Assert.Equal(cluster[1].LastIndex, cluster[2].LastIndex);
        cluster[1].Propose(B("a"));
        cluster[1].Propose(B("b"));
        Assert.Equal(2, cluster.Take(m => m.Type == MessageType.Append && m.To == 2).Count);
    }

    [Fact]
    public void Follower_AnswersABurstOfAppends_WithOneAcknowledgementOfTheHighestIndex()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        cluster.Take();
        for (var i = 0; i < 4; i++)
        {
            cluster[1].Propose(B($"p{i}"));
        }

        var appends = cluster.Take(m => m.Type == MessageType.Append && m.To == 2);
        Assert.Equal(4, appends.Count);
        foreach (var append in appends)
        {
            cluster[2].Step(append);
        }

        var acks = cluster.Take(m => m.Type == MessageType.AppendResponse && m.From == 2);
        var ack = Assert.Single(acks);
        Assert.False(ack.Reject);
        Assert.Equal(cluster[1].LastIndex, ack.Index);
    }

    [Fact]
    public void Follower_AcknowledgesBeforeRejecting_SoTheLeaderHearsThemInOrder()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        cluster.Take();
        cluster[1].Propose(B("a"));
        var append = Assert.Single(cluster.Take(m => m.Type == MessageType.Append && m.To == 2));
        cluster[2].Step(append);
        // An Append far beyond the follower's log is rejected; the pending acknowledgement goes out first.
        cluster[2].Step(append with { Index = 10, LogTerm = 1, Entries = [] });
        var responses = cluster.Take(m => m.From == 2);
        Assert.Equal(2, responses.Count);
        Assert.False(responses[0].Reject);
        Assert.Equal(2UL, responses[0].Index);
        Assert.True(responses[1].Reject);
    }

    [Fact]
    public void Commit_IsAnnouncedToFollowersThatHoldTheEntry_WithoutWaitingForAHeartbeat()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        cluster[1].Propose(B("x"));
        cluster.Deliver();
        // No tick happened: followers learned the commit from the leader's announcement and applied the entry.
        Assert.Equal(2UL, cluster[1].Commit);
        Assert.Equal(2UL, cluster[2].Commit);
        Assert.Equal(2UL, cluster[3].Applied);
        Assert.Equal("x", System.Text.Encoding.UTF8.GetString(cluster.Applied[3].Single().Data.Span));
    }

    [Fact]
    public void Commit_AnnouncementIsAnEmptyAppendAtTheFollowersMatch_AndNeverCommitsBeyondIt()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        cluster.Take();
        cluster[1].Propose(B("x"));
        cluster.Deliver(m => m.To == 3 || m.From == 3);
        cluster[1].Propose(B("y"));
        var toReplica3 = cluster.Take(m => m.To == 3);
        // Replica 3 missed index 2: no announcement is anchored beyond what it is known to hold.
        Assert.All(toReplica3.Where(m => m.Type == MessageType.Append && m.Entries.Count == 0), m => Assert.True(m.Commit <= m.Index));
    }

    [Fact]
    public void Snapshot_LostInTransit_IsSentAgain_AfterTwoElectionTimeouts()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        for (var i = 0; i < 5; i++)
        {
            cluster[1].Propose(B($"e{i}"));
            cluster.Deliver(m => m.To == 3 || m.From == 3);
        }

        cluster.Compact(1, B("state@6"));
        var snapshotsSent = 0;
        bool DropSnapshotsOnce(Message m)
        {
            if (m.Type != MessageType.InstallSnapshot)
            {
                return false;
            }

            snapshotsSent++;
            return snapshotsSent == 1;
        }

        cluster.TickAll(3, DropSnapshotsOnce);
        Assert.Equal(1, snapshotsSent);
        Assert.Equal(ProgressState.Snapshot, cluster[1].GetProgress(3)!.Value.State);
        // Nobody reported the loss (the transport need not know): the leader retries after two election timeouts.
        cluster.TickAll(2 * 10, DropSnapshotsOnce);
        Assert.Equal(2, snapshotsSent);
        Assert.Equal(6UL, Assert.Single(cluster.InstalledSnapshots[3]).Metadata.Index);
        Assert.Equal(cluster[1].LastIndex, cluster[3].LastIndex);
        Assert.Equal(ProgressState.Replicate, cluster[1].GetProgress(3)!.Value.State);
    }

    [Fact]
    public void BlankReplica_AddedToANewCluster_LearnsTheInitialConfigurationFromAnIndexZeroSnapshot()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        cluster.Deliver();
        cluster.AddBlankNode(4);
        Assert.True(cluster[1].ProposeConfChange(new ConfChange(ConfChangeType.AddLearner, 4)).IsAccepted);
        cluster.Deliver();
        cluster.TickAll(3);

        var snapshot = Assert.Single(cluster.InstalledSnapshots[4]);
        Assert.Equal(0UL, snapshot.Metadata.Index);
        Assert.Equal([1UL, 2, 3], snapshot.Metadata.ConfState.Voters);
        Assert.Equal([1UL, 2, 3], cluster[4].ConfState.Voters);
        Assert.Equal([4UL], cluster[4].ConfState.Learners);
        // It restarts with what it persisted: the configuration is not lost.
        Assert.Equal([1UL, 2, 3], cluster.Storage(4).Snapshot.Metadata.ConfState.Voters);
    }
}
