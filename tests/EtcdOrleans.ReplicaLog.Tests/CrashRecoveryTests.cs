using EtcdOrleans.Raft;

namespace EtcdOrleans.ReplicaLog.Tests;

/// <summary>
/// Crashes simulated on the files: the last segment cut at every byte offset of its last records, and every byte of
/// them damaged. Recovery must return exactly the records that were whole (and so could have been flushed), never a
/// damaged one, make the cut durable, and let the log continue.
/// </summary>
public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task A_cut_at_every_offset_of_the_last_records_recovers_exactly_the_whole_records()
    {
        using var dir = new TestDirectory();
        var model = await CrashModel.BuildAsync(dir, saves: 12);
        var segment = model.LastSegment;
        var full = model.Original(segment).Length;

        // The last six saves: nine records (every other save adds a hard state record).
        for (var length = model.Checkpoints[^10].End; length <= full; length++)
        {
            await model.RestoreAsync();
            Cut(segment, length);
            await AssertRecoversAndContinuesAsync(model, model.Expected(segment, length));
        }
    }

    [Fact]
    public async Task A_cut_anywhere_in_a_new_segment_recovers_the_previous_segments_and_the_whole_records()
    {
        using var dir = new TestDirectory();
        var model = await CrashModel.BuildAsync(dir, saves: 60, segmentSize: 4096, tailSaves: 3);
        Assert.True(model.Segments.Length >= 2);
        var segment = model.LastSegment;
        var full = model.Original(segment).Length;

        // From an empty file, through a torn segment header, to the whole segment.
        for (var length = 0L; length <= full; length++)
        {
            await model.RestoreAsync();
            Cut(segment, length);
            var expected = model.Expected(segment, length);
            Assert.Equal(length >= CrashModel.SegmentHeaderRecord, expected.Segment == segment);
            await AssertRecoversAndContinuesAsync(model, expected);
        }
    }

    [Fact]
    public async Task Damage_to_any_byte_of_the_last_records_drops_that_record_and_everything_after_it()
    {
        using var dir = new TestDirectory();
        var model = await CrashModel.BuildAsync(dir, saves: 60, segmentSize: 4096, tailSaves: 4);
        var segment = model.LastSegment;
        var full = model.Original(segment).Length;
        for (var position = CrashModel.SegmentHeaderRecord; position < full; position++)
        {
            await model.RestoreAsync();
            FlipBit(segment, position);

            // The damaged record starts at the last record boundary at or before the damaged byte.
            var recordStart = model.Checkpoints.Last(c => c.Segment == segment && c.End <= position).End;
            await AssertRecoversAndContinuesAsync(model, model.Expected(segment, recordStart));
        }
    }

    [Fact]
    public async Task Damage_to_the_header_of_a_last_segment_that_holds_records_is_corruption()
    {
        using var dir = new TestDirectory();
        var model = await CrashModel.BuildAsync(dir, saves: 60, segmentSize: 4096, tailSaves: 1);
        for (var position = 0L; position < CrashModel.SegmentHeaderRecord; position++)
        {
            await model.RestoreAsync();
            FlipBit(model.LastSegment, position);
            var error = await Assert.ThrowsAsync<ReplicaLogCorruptException>(() => FileReplicaLogStore.OpenAsync(dir.Options()));
            Assert.Equal(model.LastSegment, error.Path);
        }
    }

    [Fact]
    public async Task Damage_before_the_last_segment_is_corruption_not_a_torn_tail()
    {
        using var dir = new TestDirectory();
        var model = await CrashModel.BuildAsync(dir, saves: 150, segmentSize: 4096);
        Assert.True(model.Segments.Length >= 3);
        var first = model.Segments[0];
        var firstLength = model.Original(first).Length;

        foreach (var position in new[] { 0L, CrashModel.SegmentHeaderRecord + 3, firstLength / 2, firstLength - 1 })
        {
            await model.RestoreAsync();
            FlipBit(first, position);
            var error = await Assert.ThrowsAsync<ReplicaLogCorruptException>(() => FileReplicaLogStore.OpenAsync(dir.Options()));
            Assert.Equal(first, error.Path);
        }

        await model.RestoreAsync();
        Cut(first, firstLength - 1);
        await Assert.ThrowsAsync<ReplicaLogCorruptException>(() => FileReplicaLogStore.OpenAsync(dir.Options()));

        await model.RestoreAsync();
        File.Delete(model.Segments[1]);
        var missing = await Assert.ThrowsAsync<ReplicaLogCorruptException>(() => FileReplicaLogStore.OpenAsync(dir.Options()));
        Assert.Contains("missing", missing.Message, StringComparison.Ordinal);

        // Nothing was repaired by the refused opens.
        await model.RestoreAsync();
        await AssertRecoversAndContinuesAsync(model, model.Checkpoints[^1]);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0xFF)]
    [InlineData(-1)]
    public async Task Zeros_or_garbage_after_the_last_record_are_cut_off(int fill)
    {
        using var dir = new TestDirectory();
        var model = await CrashModel.BuildAsync(dir, saves: 9);
        var tail = new byte[4096];
        if (fill < 0)
        {
            new Random(7).NextBytes(tail);
        }
        else
        {
            Array.Fill(tail, (byte)fill);
        }

        await using (var stream = new FileStream(model.LastSegment, FileMode.Append))
        {
            await stream.WriteAsync(tail);
        }

        await AssertRecoversAndContinuesAsync(model, model.Checkpoints[^1]);
    }

    /// <summary>
    /// Opens the damaged directory and checks the recovery, that the bad tail is gone from the file, and that the log
    /// continues: a new entry and hard state saved after recovery are there after the next reopen.
    /// </summary>
    private static async Task AssertRecoversAndContinuesAsync(CrashModel model, CrashModel.Checkpoint expected)
    {
        var next = TestDirectory.MakeEntry((ulong)expected.EntryCount + 1, term: 2, size: 11);
        var nextState = new HardState(2, 2, (ulong)expected.EntryCount);
        var (store, recovery) = await FileReplicaLogStore.OpenAsync(model.Dir.Options());
        await using (store)
        {
            model.AssertRecovered(expected, recovery);
            Assert.Equal(expected.End, new FileInfo(expected.Segment).Length);
            Assert.Equal(expected.Segment, model.Dir.Segments()[^1]);
            await store.SaveAsync(nextState, [next]);
        }

        var (again, continued) = await FileReplicaLogStore.OpenAsync(model.Dir.Options());
        await using (again)
        {
            TestDirectory.AssertSameEntries([.. model.Entries.GetRange(0, expected.EntryCount), next], continued.Entries);
            Assert.Equal(nextState, continued.HardState);
        }
    }

    private static void Cut(string path, long length)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        RandomAccess.SetLength(handle, length);
    }

    private static void FlipBit(string path, long position)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        var one = new byte[1];
        Assert.Equal(1, RandomAccess.Read(handle, one, position));
        one[0] ^= (byte)(1 << (int)(position % 8));
        RandomAccess.Write(handle, one, position);
    }
}
