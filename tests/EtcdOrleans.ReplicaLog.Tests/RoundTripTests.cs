using EtcdOrleans.Raft;
using static EtcdOrleans.ReplicaLog.Tests.TestDirectory;

namespace EtcdOrleans.ReplicaLog.Tests;

public sealed class RoundTripTests
{
    [Fact]
    public async Task A_new_directory_recovers_empty()
    {
        using var dir = new TestDirectory();
        var (store, recovery) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (store)
        {
            Assert.Equal(HardState.Empty, recovery.HardState);
            Assert.True(recovery.Snapshot.IsEmpty);
            Assert.Empty(recovery.Entries);
            Assert.Equal(0ul, recovery.LastIndex);
        }
    }

    [Fact]
    public async Task Entries_hard_state_and_snapshot_survive_reopen()
    {
        using var dir = new TestDirectory();
        var entries = MakeEntries(1, 20, term: 2, size: 100);
        var snapshot = new Snapshot(new SnapshotMetadata(5, 2, new ConfState([1, 2, 3], [7])), new byte[] { 1, 2, 3, 4 });
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options(sync: true));
        await using (store)
        {
            await store.SaveAsync(new HardState(2, 1, 0), entries[..10]);
            await store.SaveAsync(new HardState(2, 1, 8), entries[10..]);
            await store.SaveSnapshotAsync(snapshot);
            TestDirectory.AssertSameEntries(entries[5..], await store.ReadEntriesAsync(0, ulong.MaxValue));
            TestDirectory.AssertSameEntries(entries[9..12], await store.ReadEntriesAsync(10, 13));
        }

        var (reopened, recovery) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (reopened)
        {
            Assert.Equal(new HardState(2, 1, 8), recovery.HardState);
            Assert.Equal((5ul, 2ul), (recovery.Snapshot.Metadata.Index, recovery.Snapshot.Metadata.Term));
            Assert.True(recovery.Snapshot.Metadata.ConfState.SameMembers(snapshot.Metadata.ConfState));
            Assert.Equal(new byte[] { 1, 2, 3, 4 }, recovery.Snapshot.Data.ToArray());
            TestDirectory.AssertSameEntries(entries[5..], recovery.Entries);
            Assert.Equal(20ul, recovery.LastIndex);

            // The log continues where it stopped.
            await reopened.SaveAsync(null, [MakeEntry(21, 3)]);
        }

        var (third, again) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (third)
        {
            Assert.Equal(21ul, again.LastIndex);
            Assert.Equal(3ul, again.Entries[^1].Term);
            Assert.Equal(new HardState(2, 1, 8), again.HardState);
        }
    }

    [Fact]
    public async Task Hard_state_alone_is_durable()
    {
        using var dir = new TestDirectory();
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (store)
        {
            await store.SaveAsync(new HardState(1, 0, 0), []);
            await store.SaveAsync(new HardState(4, 3, 0), []);
        }

        var (reopened, recovery) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (reopened)
        {
            Assert.Equal(new HardState(4, 3, 0), recovery.HardState);
            Assert.Empty(recovery.Entries);
        }
    }

    [Fact]
    public async Task Invalid_saves_throw_and_change_nothing()
    {
        using var dir = new TestDirectory();
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (store)
        {
            Assert.Throws<ArgumentException>(() => { _ = store.SaveAsync(null, [MakeEntry(2)]); });
            Assert.Throws<ArgumentException>(() => { _ = store.SaveAsync(null, [MakeEntry(1), MakeEntry(3)]); });
            await store.SaveAsync(null, MakeEntries(1, 3));
            Assert.Throws<ArgumentException>(() => { _ = store.SaveAsync(null, [MakeEntry(5)]); });
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.CompactAsync(1));
            await store.SaveAsync(null, [MakeEntry(4)]);
            TestDirectory.AssertSameEntries(MakeEntries(1, 4), await store.ReadEntriesAsync(1, 100));
        }
    }

    [Fact]
    public async Task Use_before_open_and_after_dispose_is_refused()
    {
        using var dir = new TestDirectory();
        var store = new FileReplicaLogStore(dir.Options());
        Assert.Throws<InvalidOperationException>(() => { _ = store.SaveAsync(null, []); });
        await store.OpenAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.OpenAsync());
        await store.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => { _ = store.SaveAsync(null, []); });
        await store.DisposeAsync();
    }

    [Fact]
    public async Task A_snapshot_beyond_the_log_restarts_the_log_after_it()
    {
        using var dir = new TestDirectory();
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (store)
        {
            await store.SaveAsync(new HardState(1, 1, 3), MakeEntries(1, 5));
            await store.SaveSnapshotAsync(new Snapshot(new SnapshotMetadata(50, 4, ConfState.Empty), new byte[] { 5 }));
            Assert.Throws<ArgumentException>(() => { _ = store.SaveAsync(null, [MakeEntry(6)]); });
            await store.SaveAsync(new HardState(4, 2, 50), MakeEntries(51, 53, term: 4));
        }

        var (reopened, recovery) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (reopened)
        {
            Assert.Equal(50ul, recovery.Snapshot.Metadata.Index);
            TestDirectory.AssertSameEntries(MakeEntries(51, 53, term: 4), recovery.Entries);
        }
    }

    [Fact]
    public async Task A_snapshot_that_conflicts_with_the_log_discards_it()
    {
        using var dir = new TestDirectory();
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (store)
        {
            await store.SaveAsync(null, MakeEntries(1, 10, term: 1));

            // The leader's snapshot at 5 has term 2: our entries 1..10 of term 1 are not the leader's.
            await store.SaveSnapshotAsync(new Snapshot(new SnapshotMetadata(5, 2, ConfState.Empty), ReadOnlyMemory<byte>.Empty));
            Assert.Empty(await store.ReadEntriesAsync(0, ulong.MaxValue));
            await store.SaveAsync(null, MakeEntries(6, 7, term: 2));
        }

        var (reopened, recovery) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (reopened)
        {
            TestDirectory.AssertSameEntries(MakeEntries(6, 7, term: 2), recovery.Entries);
        }
    }

    [Fact]
    public async Task A_snapshot_file_written_without_its_log_record_still_bounds_recovery()
    {
        using var dir = new TestDirectory();
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (store)
        {
            await store.SaveAsync(null, MakeEntries(1, 10, term: 1));
        }

        // As if the process died between the snapshot file's rename and the snapshot record.
        await SnapshotFile.WriteAsync(dir.Path, new Snapshot(new SnapshotMetadata(4, 1, ConfState.Empty), new byte[] { 1 }), sync: false, CancellationToken.None);
        var (reopened, recovery) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (reopened)
        {
            TestDirectory.AssertSameEntries(MakeEntries(5, 10, term: 1), recovery.Entries);
        }
    }
}
