using EtcdOrleans.Raft;

namespace EtcdOrleans.Raft.Tests;

/// <summary>Log replication and commit rules (Raft paper §5.3, §5.4.2) and flow control.</summary>
public sealed class ReplicationRuleTests
{
    private static ReadOnlyMemory<byte> B(string s) => ManualCluster.Bytes(s);

    [Fact]
    public void Entry_IsCommitted_OnceReplicatedOnAMajority_AndAppliedInOrderEverywhere()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        for (var i = 0; i < 5; i++)
        {
            Assert.True(cluster[1].Propose(B($"e{i}")).IsAccepted);
        }

        cluster.Deliver(m => m.To == 3);
        Assert.Equal(6UL, cluster[1].Commit);
        cluster.TickAll(2);
        foreach (var id in new ulong[] { 1, 2, 3 })
        {
            Assert.Equal(["e0", "e1", "e2", "e3", "e4"], cluster.Applied[id].Select(e => System.Text.Encoding.UTF8.GetString(e.Data.Span)));
        }
    }

    [Fact]
    public void Commit_OfPreviousTermEntry_OnlyThroughACurrentTermEntry()
    {
        // Figure 8: entry 2 of term 1 is on a majority, but the new leader may not count replicas for it.
        var conf = new ConfState([1, 2, 3], []);
        var storages = new Dictionary<ulong, MemoryRaftStorage>();
        foreach (var id in new ulong[] { 1, 2, 3 })
        {
            storages[id] = new MemoryRaftStorage(conf);
            storages[id].Append([Entry.Normal(1, 1, B("a"))]);
            storages[id].SetHardState(new HardState(2, 0, 1));
        }

        storages[1].Append([Entry.Normal(1, 2, B("b"))]);
        storages[2].Append([Entry.Normal(1, 2, B("b"))]);
        var leader = new RaftNode(new RaftConfig { Id = 1, PreVote = false, Seed = 1 }, storages[1]);
        leader.Campaign();
        leader.Step(new Message { Type = MessageType.VoteResponse, From = 2, To = 1, Term = 3 });
        Assert.Equal(RaftRole.Leader, leader.Role);
        Assert.Equal(3UL, leader.LastIndex);

        leader.Step(new Message { Type = MessageType.AppendResponse, From = 2, To = 1, Term = 3, Index = 2 });
        Assert.Equal(1UL, leader.Commit);

        leader.Step(new Message { Type = MessageType.AppendResponse, From = 2, To = 1, Term = 3, Index = 3 });
        Assert.Equal(3UL, leader.Commit);
    }

    [Fact]
    public void LogMatching_FollowerReplacesConflictingUncommittedSuffix()
    {
        var cluster = new ManualCluster(3, configure: id => ManualCluster.DefaultConfig(id) with { CheckQuorum = false });
        cluster.Elect(1);
        // Leader 1 appends entries that only it holds, then loses leadership.
        cluster[1].Propose(B("lost1"));
        cluster[1].Propose(B("lost2"));
        cluster.Take();
        cluster.Elect(2, m => m.To == 1 || m.From == 1);
        cluster[2].Propose(B("kept"));
        cluster.Deliver(m => m.To == 1 || m.From == 1);
        cluster.TickAll(3);
        Assert.Equal(cluster[2].LastIndex, cluster[1].LastIndex);
        for (var i = 1UL; i <= cluster[2].LastIndex; i++)
        {
            Assert.Equal(cluster[2].TermAt(i), cluster[1].TermAt(i));
        }

        Assert.DoesNotContain(cluster.Applied[1], e => System.Text.Encoding.UTF8.GetString(e.Data.Span).StartsWith("lost", StringComparison.Ordinal));
    }

    [Fact]
    public void FastBackoff_RejectHint_SkipsAWholeConflictingTermInOneRoundTrip()
    {
        var conf = new ConfState([1, 2, 3], []);
        var leaderStorage = new MemoryRaftStorage(conf);
        var followerStorage = new MemoryRaftStorage(conf);
        leaderStorage.Append([Entry.Normal(1, 1, B("a"))]);
        followerStorage.Append([Entry.Normal(1, 1, B("a"))]);
        for (ulong i = 2; i <= 101; i++)
        {
            leaderStorage.Append([Entry.Normal(3, i, B("l"))]);
        }

        for (ulong i = 2; i <= 201; i++)
        {
            followerStorage.Append([Entry.Normal(2, i, B("f"))]);
        }

        leaderStorage.SetHardState(new HardState(3, 0, 1));
        followerStorage.SetHardState(new HardState(3, 0, 1));
        var leader = new RaftNode(new RaftConfig { Id = 1, PreVote = false, Seed = 1 }, leaderStorage);
        var follower = new RaftNode(new RaftConfig { Id = 2, Seed = 2 }, followerStorage);
        leader.Campaign();
        leader.Step(new Message { Type = MessageType.VoteResponse, From = 3, To = 1, Term = 4 });
        Assert.Equal(RaftRole.Leader, leader.Role);

        var roundTrips = 0;
        var queue = new Queue<Message>(Drain(leader, leaderStorage).Where(m => m.To == 2));
        while (queue.Count > 0 && roundTrips < 50)
        {
            var m = queue.Dequeue();
            var target = m.To == 2 ? follower : leader;
            if (m.To == 2 && m.Type == MessageType.Append)
            {
                roundTrips++;
            }

            target.Step(m);
            foreach (var reply in Drain(follower, followerStorage).Concat(Drain(leader, leaderStorage)).Where(x => x.To is 1 or 2))
            {
                queue.Enqueue(reply);
            }
        }

        Assert.Equal(leader.LastIndex, follower.LastIndex);
        Assert.True(roundTrips <= 4, $"took {roundTrips} Append round trips");
    }

    [Fact]
    public void Pipelining_InflightWindow_LimitsUnacknowledgedAppendsPerFollower()
    {
        var cluster = new ManualCluster(3, configure: id => ManualCluster.DefaultConfig(id) with { MaxInflightMsgs = 2 });
        cluster.Elect(1);
        for (var i = 0; i < 10; i++)
        {
            cluster[1].Propose(B($"p{i}"));
        }

        var appendsTo2 = cluster.Take(m => m.Type == MessageType.Append && m.To == 2);
        Assert.Equal(2, appendsTo2.Count);
        Assert.Equal(ProgressState.Replicate, cluster[1].GetProgress(2)!.Value.State);

        // Acknowledging the first frees one slot, and the leader streams the rest in one message.
        cluster[1].Step(new Message { Type = MessageType.AppendResponse, From = 2, To = 1, Term = 1, Index = appendsTo2[0].Entries[^1].Index });
        var more = cluster.Take(m => m.Type == MessageType.Append && m.To == 2);
        Assert.Single(more);
        Assert.Equal(cluster[1].LastIndex, more[0].Entries[^1].Index);
    }

    [Fact]
    public void Batching_AppendCarriesManyEntries_UpToMaxSizePerMsg()
    {
        var cluster = new ManualCluster(3, configure: id => ManualCluster.DefaultConfig(id) with { MaxSizePerMsg = 400 });
        cluster.Elect(1);
        cluster.Take();
        var batch = Enumerable.Range(0, 20).Select(_ => (ReadOnlyMemory<byte>)new byte[100]).ToArray();
        var result = cluster[1].Propose(batch);
        Assert.True(result.IsAccepted);
        Assert.Equal(2UL, result.Index);
        var appends = cluster.Take(m => m.Type == MessageType.Append && m.To == 2);
        Assert.All(appends, m => Assert.True(m.Entries.Sum(e => e.Size) <= 400 || m.Entries.Count == 1));
        Assert.True(appends[0].Entries.Count > 1);
    }

    [Fact]
    public void Proposal_IsRefused_OnFollower_AndWhenUncommittedBytesExceedTheCap()
    {
        var cluster = new ManualCluster(3, configure: id => ManualCluster.DefaultConfig(id) with { MaxUncommittedEntriesSize = 250 });
        cluster.Elect(1);
        Assert.Equal(ProposeStatus.NotLeader, cluster[2].Propose(B("x")).Status);
        cluster.Take();
        Assert.True(cluster[1].Propose(new byte[200]).IsAccepted);
        Assert.Equal(ProposeStatus.TooManyUncommitted, cluster[1].Propose(new byte[100]).Status);
        cluster.Deliver();
        Assert.True(cluster[1].Propose(new byte[100]).IsAccepted);
    }

    [Fact]
    public void Follower_CommitsOnlyWhatTheLeaderSaysIsCommitted_AndThatItHolds()
    {
        var cluster = new ManualCluster(3);
        cluster.Elect(1);
        cluster[1].Propose(B("a"));
        cluster.Deliver(m => m.To == 3);
        Assert.Equal(2UL, cluster[1].Commit);
        // Node 3 never received entry 2: a heartbeat must not make it commit beyond what it holds.
        cluster[1].Tick();
        cluster.Deliver(m => m.To == 3 && m.Type == MessageType.Append);
        Assert.True(cluster[3].Commit <= cluster[3].LastIndex);
    }

    internal static List<Message> Drain(RaftNode node, MemoryRaftStorage storage)
    {
        var messages = new List<Message>();
        while (node.HasReady)
        {
            var ready = node.GetReady();
            if (ready.Snapshot is { } snapshot)
            {
                storage.ApplySnapshot(snapshot);
            }

            storage.Append(ready.Entries);
            if (ready.HardState is { } hard)
            {
                storage.SetHardState(hard);
            }

            messages.AddRange(ready.Messages);
            node.Advance(ready);
        }

        return messages;
    }
}
