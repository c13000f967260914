using EtcdOrleans.Raft;
using static EtcdOrleans.ReplicaLog.Tests.TestDirectory;

namespace EtcdOrleans.ReplicaLog.Tests;

/// <summary>Group commit, the save-completes-after-flush contract, hard state ordering and the faulted state.</summary>
public sealed class DurabilityTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Saves_queued_during_a_flush_share_the_next_flush()
    {
        using var dir = new TestDirectory();
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options(sync: true));
        await using (store)
        {
            var before = store.Counters;
            using var holding = new ManualResetEventSlim(false);
            using var release = new ManualResetEventSlim(false);
            var held = 0;
            store.OnBatchTakenForTests = () =>
            {
                if (Interlocked.Exchange(ref held, 1) == 0)
                {
                    holding.Set();
                    release.Wait(Patience);
                }
            };

            // The first save is taken alone; the writer is then held while 255 more are queued by concurrent callers.
            var order = new Lock();
            ulong next = 1;
            Task Save(HardState? state)
            {
                lock (order)
                {
                    return store.SaveAsync(state, [MakeEntry(next++, size: 256)]);
                }
            }

            var first = Save(new HardState(1, 1, 0));
            Assert.True(holding.Wait(Patience));
            var rest = await Task.WhenAll(Enumerable.Range(0, 15).Select(_ => Task.Run(() =>
                Enumerable.Range(0, 17).Select(i => Save(i == 16 ? new HardState(1, 1, 5) : null)).ToArray())));
            Assert.All(rest.SelectMany(t => t), t => Assert.False(t.IsCompleted));
            Assert.False(first.IsCompleted);

            release.Set();
            await first;
            await Task.WhenAll(rest.SelectMany(t => t));

            var after = store.Counters;
            Assert.Equal(256, after.Saves - before.Saves);
            Assert.Equal(2, after.Batches - before.Batches);
            Assert.Equal(2, after.Syncs - before.Syncs);
        }

        var (reopened, recovery) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (reopened)
        {
            AssertSameEntries(Enumerable.Range(1, 256).Select(i => MakeEntry((ulong)i, size: 256)).ToArray(), recovery.Entries);
            Assert.Equal(new HardState(1, 1, 5), recovery.HardState);
        }
    }

    [Fact]
    public async Task One_batch_that_fills_several_segments_reads_back_whole()
    {
        using var dir = new TestDirectory();
        var entries = Enumerable.Range(1, 120).Select(i => MakeEntry((ulong)i, size: 200)).ToArray();
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options(segmentSize: 4096));
        await using (store)
        {
            using var holding = new ManualResetEventSlim(false);
            using var release = new ManualResetEventSlim(false);
            var first = true;
            store.OnBatchTakenForTests = () =>
            {
                if (first)
                {
                    first = false;
                    holding.Set();
                    release.Wait(Patience);
                }
            };

            var one = store.SaveAsync(null, entries[..1]);
            Assert.True(holding.Wait(Patience));
            var rest = entries[1..].Select(e => store.SaveAsync(null, [e])).ToArray();
            release.Set();
            await one;
            await Task.WhenAll(rest);

            // Entry 1 went alone; 2..120 were one batch that rolled over several segments in the middle.
            Assert.Equal(2, store.Counters.Batches);
            Assert.True(dir.Segments().Length >= 5);
            AssertSameEntries(entries, await store.ReadEntriesAsync(0, ulong.MaxValue));
        }

        var (reopened, recovery) = await FileReplicaLogStore.OpenAsync(dir.Options(segmentSize: 4096));
        await using (reopened)
        {
            AssertSameEntries(entries, recovery.Entries);
        }
    }

    [Fact]
    public async Task Many_concurrent_appenders_keep_call_order_and_no_flush_is_empty()
    {
        using var dir = new TestDirectory();
        const int Appenders = 64;
        const int SavesEach = 25;
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options(segmentSize: 64 * 1024, sync: true));
        await using (store)
        {
            var before = store.Counters;
            var order = new Lock();
            ulong next = 1;
            await Task.WhenAll(Enumerable.Range(0, Appenders).Select(_ => Task.Run(async () =>
            {
                for (var i = 0; i < SavesEach; i++)
                {
                    Task save;
                    lock (order)
                    {
                        save = store.SaveAsync(null, [MakeEntry(next++, size: 100)]);
                    }

                    await save;
                }
            })));

            var after = store.Counters;
            Assert.Equal(Appenders * SavesEach, after.Saves - before.Saves);
            // How many saves share a flush depends on scheduling (Saves_queued_during_a_flush_share_the_next_flush shows
            // the sharing itself deterministically); what holds always is that no flush goes without a save.
            Assert.InRange(after.Batches - before.Batches, 1, Appenders * SavesEach);
            Assert.True(after.SegmentsCreated > 1);
        }

        var (reopened, recovery) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (reopened)
        {
            AssertSameEntries(Enumerable.Range(1, Appenders * SavesEach).Select(i => MakeEntry((ulong)i, size: 100)).ToArray(), recovery.Entries);
        }
    }

    [Fact]
    public async Task A_save_completes_only_after_its_flush()
    {
        using var dir = new TestDirectory();
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options(sync: true));
        await using (store)
        {
            using var release = new ManualResetEventSlim(false);
            using var taken = new ManualResetEventSlim(false);
            store.OnBatchTakenForTests = () =>
            {
                taken.Set();
                release.Wait(Patience);
            };

            var syncs = store.Counters.Syncs;
            var save = store.SaveAsync(new HardState(5, 2, 0), []);
            Assert.True(taken.Wait(Patience));
            Assert.False(save.IsCompleted);
            Assert.Equal(syncs, store.Counters.Syncs);

            release.Set();
            await save;
            Assert.Equal(syncs + 1, store.Counters.Syncs);
        }
    }

    [Fact]
    public async Task A_repeated_hard_state_is_not_written_again_but_a_new_one_is()
    {
        using var dir = new TestDirectory();
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (store)
        {
            var entry = MakeEntry(1);
            await store.SaveAsync(new HardState(1, 1, 0), [entry]);
            var bytes = store.Counters.BytesWritten;
            await store.SaveAsync(new HardState(1, 1, 0), [MakeEntry(2)]);
            Assert.Equal(bytes + RecordFormat.EntryRecordSize(entry), store.Counters.BytesWritten);
            await store.SaveAsync(new HardState(1, 1, 2), []);
            Assert.Equal(bytes + RecordFormat.EntryRecordSize(entry) + RecordFormat.HeaderSize + RecordFormat.HardStateSize, store.Counters.BytesWritten);
        }

        var (reopened, recovery) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (reopened)
        {
            Assert.Equal(new HardState(1, 1, 2), recovery.HardState);
        }
    }

    [Fact]
    public async Task A_failed_write_faults_the_store_and_reopening_recovers_what_was_durable()
    {
        using var dir = new TestDirectory();
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (store)
        {
            await store.SaveAsync(new HardState(1, 1, 0), MakeEntries(1, 3));
            store.OnBatchTakenForTests = () => throw new IOException("disk on fire");
            var failed = await Assert.ThrowsAsync<ReplicaLogFaultedException>(() => store.SaveAsync(null, [MakeEntry(4)]));
            Assert.Equal("disk on fire", failed.InnerException?.Message);

            // Refused at once from now on, before anything is queued.
            Assert.Throws<ReplicaLogFaultedException>(() => { _ = store.SaveAsync(null, [MakeEntry(4)]); });
            await Assert.ThrowsAsync<ReplicaLogFaultedException>(() => store.SaveSnapshotAsync(new Snapshot(new SnapshotMetadata(2, 1, ConfState.Empty), default)));
        }

        var (reopened, recovery) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (reopened)
        {
            AssertSameEntries(MakeEntries(1, 3), recovery.Entries);
            Assert.Equal(new HardState(1, 1, 0), recovery.HardState);
        }
    }

    [Fact]
    public async Task Dispose_waits_for_queued_saves_and_later_saves_are_refused()
    {
        using var dir = new TestDirectory();
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options());
        var saves = Enumerable.Range(1, 50).Select(i => store.SaveAsync(null, [MakeEntry((ulong)i)])).ToArray();
        await store.DisposeAsync();
        Assert.All(saves, s => Assert.True(s.IsCompletedSuccessfully));
        Assert.Throws<ObjectDisposedException>(() => { _ = store.SaveAsync(null, [MakeEntry(51)]); });

        var (reopened, recovery) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (reopened)
        {
            Assert.Equal(50ul, recovery.LastIndex);
        }
    }
}
