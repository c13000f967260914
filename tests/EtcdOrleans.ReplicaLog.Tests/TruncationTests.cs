using EtcdOrleans.Raft;
using static EtcdOrleans.ReplicaLog.Tests.TestDirectory;

namespace EtcdOrleans.ReplicaLog.Tests;

/// <summary>Suffix truncation when a leader overwrites a conflicting tail, and prefix deletion after a snapshot.</summary>
public sealed class TruncationTests
{
    private const long SmallSegments = 4096;

    [Fact]
    public async Task An_overwrite_replaces_the_tail_and_the_old_tail_never_comes_back()
    {
        using var dir = new TestDirectory();
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options(sync: true));
        await using (store)
        {
            await store.SaveAsync(new HardState(1, 1, 3), MakeEntries(1, 10, term: 1));
            await store.SaveAsync(new HardState(2, 2, 3), MakeEntries(6, 8, term: 2));
            AssertSameEntries([.. MakeEntries(1, 5, term: 1), .. MakeEntries(6, 8, term: 2)], await store.ReadEntriesAsync(0, ulong.MaxValue));

            // The tail beyond the overwrite is gone for validation too: 9 is the next index, 10 would be a gap.
            Assert.Throws<ArgumentException>(() => { _ = store.SaveAsync(null, [MakeEntry(10, term: 2)]); });
        }

        var (reopened, recovery) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (reopened)
        {
            AssertSameEntries([.. MakeEntries(1, 5, term: 1), .. MakeEntries(6, 8, term: 2)], recovery.Entries);
            Assert.Equal(new HardState(2, 2, 3), recovery.HardState);
            await reopened.SaveAsync(null, [MakeEntry(9, term: 2)]);
        }

        var (third, again) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (third)
        {
            AssertSameEntries([.. MakeEntries(1, 5, term: 1), .. MakeEntries(6, 9, term: 2)], again.Entries);
        }
    }

    [Fact]
    public async Task An_overwrite_reaching_back_across_segments_survives_reopen_and_compaction()
    {
        using var dir = new TestDirectory();
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options(SmallSegments));
        await using (store)
        {
            await SaveOneByOneAsync(store, MakeEntries(1, 80, term: 1, size: 150));
            Assert.True(dir.Segments().Length >= 3);
            var firstSegment = await EntriesOfSegmentAsync(dir.Segments()[0]);
            Assert.Contains(12ul, firstSegment);

            // Entry 12 lives in the first segment; the overwrite goes into the last one.
            await store.SaveAsync(new HardState(3, 2, 11), MakeEntries(12, 14, term: 3, size: 150));
            AssertSameEntries([.. MakeEntries(1, 11, term: 1, size: 150), .. MakeEntries(12, 14, term: 3, size: 150)], await store.ReadEntriesAsync(0, ulong.MaxValue));
        }

        var expected = MakeEntries(1, 11, term: 1, size: 150).Concat(MakeEntries(12, 14, term: 3, size: 150)).ToArray();
        var (reopened, recovery) = await FileReplicaLogStore.OpenAsync(dir.Options(SmallSegments));
        await using (reopened)
        {
            AssertSameEntries(expected, recovery.Entries);

            // A snapshot at 13 lets every segment before the overwrite go: none holds a live entry above 11.
            await reopened.SaveSnapshotAsync(new Snapshot(new SnapshotMetadata(13, 3, ConfState.Empty), new byte[] { 13 }));
            await reopened.CompactAsync(13);
            Assert.Single(dir.Segments());
            await reopened.SaveAsync(null, [MakeEntry(15, term: 3)]);
        }

        var (third, again) = await FileReplicaLogStore.OpenAsync(dir.Options(SmallSegments));
        await using (third)
        {
            Assert.Equal(13ul, again.Snapshot.Metadata.Index);
            Assert.Equal(new HardState(3, 2, 11), again.HardState);
            AssertSameEntries([expected[^1], MakeEntry(15, term: 3)], again.Entries);
        }
    }

    [Fact]
    public async Task A_torn_overwrite_leaves_the_old_tail_and_a_whole_one_replaces_it()
    {
        using var dir = new TestDirectory();
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (store)
        {
            await store.SaveAsync(null, MakeEntries(1, 10, term: 1));
            await store.SaveAsync(null, MakeEntries(4, 5, term: 2));
        }

        // Cut inside the overwrite's second record: its first record (entry 4 of term 2) is whole, so the log is
        // 1..3 of term 1 then 4 of term 2; the old 5..10 must not come back behind it.
        var segment = dir.Segments().Single();
        var cut = new FileInfo(segment).Length - 3;
        using (var handle = File.OpenHandle(segment, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(handle, cut);
        }

        var (reopened, recovery) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (reopened)
        {
            AssertSameEntries([.. MakeEntries(1, 3, term: 1), MakeEntry(4, term: 2)], recovery.Entries);
        }
    }

    [Fact]
    public async Task Segments_before_a_snapshot_are_deleted_and_the_rest_survives_reopen()
    {
        using var dir = new TestDirectory();
        var entries = MakeEntries(1, 100, term: 2, size: 150);
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options(SmallSegments));
        await using (store)
        {
            // The only hard state record is in the first segment; later segment headers repeat it.
            await store.SaveAsync(new HardState(2, 1, 1), entries[..1]);
            await SaveOneByOneAsync(store, entries[1..]);
            var before = dir.Segments();
            Assert.True(before.Length >= 5);

            // Nothing may go before a snapshot covers it.
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.CompactAsync(1));
            await store.SaveSnapshotAsync(new Snapshot(new SnapshotMetadata(70, 2, new ConfState([1, 2, 3], [])), new byte[] { 70 }));
            await store.CompactAsync(70);

            var after = dir.Segments();
            Assert.Equal(before.Length - after.Length, store.Counters.SegmentsDeleted);
            Assert.True(store.Counters.SegmentsDeleted >= 3);
            Assert.Equal(before[^after.Length..], after);

            // Whole segments only: the first one left still starts at or below 71, so nothing above the snapshot is lost.
            Assert.True(SegmentFile.TryParse(after[0])!.FirstIndex <= 71);
            AssertSameEntries(entries[70..], await store.ReadEntriesAsync(0, ulong.MaxValue));

            // Compacting again at the same index deletes nothing more.
            await store.CompactAsync(70);
            Assert.Equal(after, dir.Segments());
        }

        var (reopened, recovery) = await FileReplicaLogStore.OpenAsync(dir.Options(SmallSegments));
        await using (reopened)
        {
            Assert.Equal((70ul, 2ul), (recovery.Snapshot.Metadata.Index, recovery.Snapshot.Metadata.Term));
            Assert.Equal(new HardState(2, 1, 1), recovery.HardState);
            AssertSameEntries(entries[70..], recovery.Entries);
            await reopened.SaveAsync(null, [MakeEntry(101, term: 2)]);
        }

        var (third, again) = await FileReplicaLogStore.OpenAsync(dir.Options(SmallSegments));
        await using (third)
        {
            Assert.Equal(101ul, again.LastIndex);
            Assert.Equal(71ul, again.Entries[0].Index);
        }
    }

    [Fact]
    public async Task A_crash_at_any_step_of_snapshot_and_compaction_recovers_a_consistent_log()
    {
        using var dir = new TestDirectory();
        var entries = MakeEntries(1, 100, term: 2, size: 150);
        var hardState = new HardState(2, 1, 90);
        var snapshot = new Snapshot(new SnapshotMetadata(70, 2, new ConfState([1, 2, 3], [])), new byte[] { 70, 7 });
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options(SmallSegments));
        var states = new List<(string Step, Dictionary<string, byte[]> Files)>();
        await using (store)
        {
            await store.SaveAsync(hardState, entries[..1]);
            await SaveOneByOneAsync(store, entries[1..]);
            states.Add(("before the snapshot", Files(dir)));

            // The snapshot file written to its temporary name, not yet renamed.
            var beforeRename = Files(dir);
            beforeRename[SnapshotFile.TempFileName] = [1, 2, 3];
            states.Add(("snapshot.tmp left behind", beforeRename));

            await store.SaveSnapshotAsync(snapshot);
            states.Add(("snapshot saved", Files(dir)));
            var segments = dir.Segments().Select(System.IO.Path.GetFileName).ToArray();
            await store.CompactAsync(70);
            var deleted = segments.Except(dir.Segments().Select(System.IO.Path.GetFileName)).ToArray();
            Assert.True(deleted.Length >= 2);

            // Compaction deletes the oldest segments one at a time: a crash may come after any of them.
            for (var k = 1; k <= deleted.Length; k++)
            {
                var partial = new Dictionary<string, byte[]>(states[2].Files);
                foreach (var name in deleted[..k])
                {
                    partial.Remove(name!);
                }

                states.Add(($"{k} of {deleted.Length} segments deleted", partial));
            }
        }

        foreach (var (step, files) in states)
        {
            using var copy = new TestDirectory();
            foreach (var (name, bytes) in files)
            {
                await File.WriteAllBytesAsync(System.IO.Path.Combine(copy.Path, name), bytes);
            }

            var (reopened, recovery) = await FileReplicaLogStore.OpenAsync(copy.Options(SmallSegments));
            await using (reopened)
            {
                var snapshotted = recovery.Snapshot.Metadata.Index == 70;
                Assert.True(snapshotted || recovery.Snapshot.IsEmpty, step);
                Assert.Equal(hardState, recovery.HardState);
                AssertSameEntries(entries[(snapshotted ? 70 : 0)..], recovery.Entries);
                if (snapshotted)
                {
                    Assert.Equal(snapshot.Data.ToArray(), recovery.Snapshot.Data.ToArray());
                }
            }
        }
    }

    private static Dictionary<string, byte[]> Files(TestDirectory dir) =>
        Directory.GetFiles(dir.Path).Where(f => !f.EndsWith("LOCK", StringComparison.Ordinal))
            .ToDictionary(f => System.IO.Path.GetFileName(f)!, File.ReadAllBytes);

    [Fact]
    public async Task After_a_snapshot_beyond_the_log_compaction_never_revives_stale_entries()
    {
        using var dir = new TestDirectory();
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options(SmallSegments));
        await using (store)
        {
            await SaveOneByOneAsync(store, MakeEntries(1, 60, term: 1, size: 150));
            await store.SaveSnapshotAsync(new Snapshot(new SnapshotMetadata(100, 4, ConfState.Empty), new byte[] { 1 }));
            await SaveOneByOneAsync(store, MakeEntries(101, 140, term: 4, size: 150));
            await store.CompactAsync(100);
            Assert.True(store.Counters.SegmentsDeleted >= 1);
        }

        var (reopened, recovery) = await FileReplicaLogStore.OpenAsync(dir.Options(SmallSegments));
        await using (reopened)
        {
            Assert.Equal(100ul, recovery.Snapshot.Metadata.Index);
            AssertSameEntries(MakeEntries(101, 140, term: 4, size: 150), recovery.Entries);
        }
    }

    private static async Task SaveOneByOneAsync(IReplicaLogStore store, IEnumerable<Entry> entries)
    {
        foreach (var entry in entries)
        {
            await store.SaveAsync(null, [entry]);
        }
    }

    /// <summary>The indexes of the entry records in one segment file, in file order.</summary>
    private static async Task<List<ulong>> EntriesOfSegmentAsync(string path)
    {
        var data = await File.ReadAllBytesAsync(path);
        var indexes = new List<ulong>();
        var offset = 0;
        while (RecordFormat.TryRead(data, offset, out var record, out var next, out _) == RecordStatus.Ok)
        {
            if (record.Type == RecordType.Entry)
            {
                indexes.Add(RecordFormat.ReadEntry(data.AsSpan(record.PayloadOffset, record.PayloadLength)).Index);
            }

            offset = next;
        }

        return indexes;
    }
}
