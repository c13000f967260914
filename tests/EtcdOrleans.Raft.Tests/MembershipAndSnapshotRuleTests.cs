using EtcdOrleans.Raft;

namespace EtcdOrleans.Raft.Tests;

/// <summary>Single-step membership changes (thesis §4.1, §4.2.1 learners) and snapshots (paper §7).</summary>
public sealed class MembershipAndSnapshotRuleTests
{
    private static ReadOnlyMemory<byte> B(string s) => ManualCluster.Bytes(s);

    [Fact]
    public void ConfChange_OnlyOneInFlightAtATime()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        Assert.True(cluster[1].ProposeConfChange(new ConfChange(ConfChangeType.AddLearner, 4)).IsAccepted);
        Assert.Equal(ProposeStatus.ConfChangeInProgress, cluster[1].ProposeConfChange(new ConfChange(ConfChangeType.AddLearner, 5)).Status);
        cluster.Deliver();
        Assert.True(cluster[1].ProposeConfChange(new ConfChange(ConfChangeType.AddLearner, 5)).IsAccepted);
    }

    [Fact]
    public void ConfChange_NewLeaderRefusesChanges_UntilAnEntryOfItsTermIsCommittedAndApplied()
    {
        var cluster = new ManualCluster(3);
        // Win the election, but keep the no-op of the new term from committing: nothing of this term is committed yet.
        cluster.Elect(1, drop: m => m.Type == MessageType.AppendResponse);
        Assert.Equal(RaftRole.Leader, cluster[1].Role);
        Assert.Equal(0UL, cluster[1].Commit);
        Assert.Equal(ProposeStatus.ConfChangeInProgress, cluster[1].ProposeConfChange(new ConfChange(ConfChangeType.AddLearner, 4)).Status);

        // Once the no-op (and so everything inherited) is committed and applied, a change is accepted.
        cluster.TickAll(1);
        Assert.Equal(1UL, cluster[1].Applied);
        Assert.True(cluster[1].ProposeConfChange(new ConfChange(ConfChangeType.AddLearner, 4)).IsAccepted);
    }

    [Fact]
    public void ConfChange_NewLeaderInheritingAnUnappliedChange_RefusesAnotherUntilItIsApplied()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        // Leader 1 appends a change that reaches only replica 2, which never learns that it committed.
        Assert.True(cluster[1].ProposeConfChange(new ConfChange(ConfChangeType.AddLearner, 4)).IsAccepted);
        cluster.Deliver(m => m.To == 3 || m.From == 3 || (m.Type == MessageType.Append && m.Entries.Count == 0));
        Assert.Equal(2UL, cluster[2].LastIndex);
        Assert.Equal(1UL, cluster[2].Commit);

        // Replica 2 takes over (leader 1 hands over, so the lease does not stop it) and inherits the change unapplied.
        cluster[1].TransferLeadership(2);
        cluster.Deliver(m => m.Type == MessageType.AppendResponse);
        Assert.Equal(RaftRole.Leader, cluster[2].Role);
        Assert.Equal(ProposeStatus.ConfChangeInProgress, cluster[2].ProposeConfChange(new ConfChange(ConfChangeType.AddLearner, 5)).Status);

        cluster.TickAll(1);
        Assert.Contains(4UL, cluster[2].ConfState.Learners);
        Assert.True(cluster[2].ProposeConfChange(new ConfChange(ConfChangeType.AddLearner, 5)).IsAccepted);
    }

    [Fact]
    public void ConfChange_AddLearner_ReceivesTheLog_ThenPromotion_MakesItAVoter()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        cluster[1].Propose(B("before"));
        cluster.Deliver();
        cluster.AddBlankNode(4);
        Assert.True(cluster[1].ProposeConfChange(new ConfChange(ConfChangeType.AddLearner, 4)).IsAccepted);
        cluster.Deliver();
        cluster.TickAll(3);
        Assert.Equal(cluster[1].LastIndex, cluster[4].LastIndex);
        Assert.Contains(4UL, cluster[1].ConfState.Learners);
        Assert.Contains(4UL, cluster[4].ConfState.Learners);
        Assert.True(cluster[1].GetProgress(4)!.Value.IsLearner);

        Assert.True(cluster[1].ProposeConfChange(new ConfChange(ConfChangeType.AddVoter, 4)).IsAccepted);
        cluster.Deliver();
        cluster.TickAll(2);
        Assert.Equal([1UL, 2, 3, 4], cluster[1].ConfState.Voters);
        Assert.Equal([1UL, 2, 3, 4], cluster[4].ConfState.Voters);
        Assert.Empty(cluster[4].ConfState.Learners);
    }

    [Fact]
    public void ConfChange_RemovedLeader_StepsDown_AndTheRestElectANewLeader()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        cluster.Deliver();
        Assert.True(cluster[1].ProposeConfChange(new ConfChange(ConfChangeType.RemoveNode, 1)).IsAccepted);
        cluster.Deliver();
        cluster.TickAll(1);
        Assert.NotEqual(RaftRole.Leader, cluster[1].Role);
        Assert.Equal([2UL, 3], cluster[2].ConfState.Voters);
        cluster.TickAll(60);
        Assert.Single(new[] { cluster[2], cluster[3] }, n => n.Role == RaftRole.Leader);
        Assert.NotEqual(RaftRole.Leader, cluster[1].Role);
    }

    [Fact]
    public void ConfChange_RemovingTheLastVoter_IsIgnored()
    {
        var cluster = new ManualCluster(1);
        cluster.Elect(1);
        cluster.Deliver();
        cluster[1].ProposeConfChange(new ConfChange(ConfChangeType.RemoveNode, 1));
        cluster.Deliver();
        Assert.Equal([1UL], cluster[1].ConfState.Voters);
        Assert.Equal(RaftRole.Leader, cluster[1].Role);
    }

    [Fact]
    public void ConfChange_EncodingRoundTrips()
    {
        var change = new ConfChange(ConfChangeType.AddLearner, 0xDEADBEEF01, new byte[] { 1, 2, 3 });
        var decoded = ConfChange.Decode(change.Encode());
        Assert.Equal(change.Type, decoded.Type);
        Assert.Equal(change.NodeId, decoded.NodeId);
        Assert.Equal(change.Context.ToArray(), decoded.Context.ToArray());
        Assert.Throws<FormatException>(() => ConfChange.Decode(new byte[] { 9, 9 }));
    }

    [Fact]
    public void Snapshot_IsSentToAFollowerWhoseNextEntryWasCompacted_AndInstalledThroughReady()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        cluster.Deliver();
        for (var i = 0; i < 10; i++)
        {
            cluster[1].Propose(B($"e{i}"));
            cluster.Deliver(m => m.To == 3 || m.From == 3);
        }

        var snapshot = cluster.Compact(1, B("state-machine@11"));
        Assert.Equal(11UL, snapshot.Metadata.Index);
        Assert.Equal(12UL, cluster[1].FirstIndex);

        cluster[1].Propose(B("after"));
        cluster.TickAll(5);

        var installed = Assert.Single(cluster.InstalledSnapshots[3]);
        Assert.Equal(11UL, installed.Metadata.Index);
        Assert.Equal("state-machine@11", System.Text.Encoding.UTF8.GetString(installed.Data.Span));
        cluster.TickAll(3);
        Assert.Equal(cluster[1].LastIndex, cluster[3].LastIndex);
        Assert.Equal(cluster[1].Commit, cluster[3].Commit);
        Assert.Equal(12UL, cluster[3].FirstIndex);
    }

    [Fact]
    public void Snapshot_RestartFromCompactedStorage_RestoresConfigurationAndIndexes()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        cluster.Deliver();
        cluster[1].Propose(B("x"));
        cluster.Deliver();
        cluster.Compact(2, B("sm"));
        var restarted = cluster.Restart(2);
        Assert.Equal(3UL, restarted.FirstIndex);
        Assert.Equal(2UL, restarted.Applied);
        Assert.Equal([1UL, 2, 3], restarted.ConfState.Voters);
    }

    [Fact]
    public void Snapshot_WithAKeptTail_AFollowerBehindTheSnapshotButNotTheTailCatchesUpByEntries()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        cluster.Deliver();
        for (var i = 0; i < 10; i++)
        {
            cluster[1].Propose(B($"e{i}"));
            cluster.Deliver(m => i >= 6 && (m.To == 3 || m.From == 3));
        }

        var storage = cluster.Storage(1);
        var snapshot = storage.CreateSnapshot(cluster[1].Applied, cluster[1].ConfState, B("state-machine@11"));
        storage.CompactTo(snapshot.Metadata.Index - 5);
        Assert.Equal((11UL, 7UL), (snapshot.Metadata.Index, cluster[1].FirstIndex));
        Assert.Throws<ArgumentOutOfRangeException>(() => storage.CompactTo(12));

        cluster[1].Propose(B("after"));
        cluster.TickAll(5);

        Assert.False(cluster.InstalledSnapshots.TryGetValue(3, out var installed) && installed.Count > 0);
        Assert.Equal(cluster[1].LastIndex, cluster[3].LastIndex);
        Assert.Equal(cluster[1].Commit, cluster[3].Commit);
    }

    [Fact]
    public void Snapshot_RestartOverAKeptTail_StartsAppliedAtTheSnapshot()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        cluster.Deliver();
        for (var i = 0; i < 4; i++)
        {
            cluster[1].Propose(B($"e{i}"));
            cluster.Deliver();
        }

        var storage = cluster.Storage(2);
        storage.CreateSnapshot(cluster[2].Applied, cluster[2].ConfState, B("sm"));
        storage.CompactTo(2);
        var restarted = cluster.Restart(2);

        Assert.Equal(3UL, restarted.FirstIndex);
        Assert.Equal(5UL, restarted.Applied);
    }
}
