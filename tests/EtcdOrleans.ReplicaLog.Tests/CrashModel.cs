using EtcdOrleans.Raft;

namespace EtcdOrleans.ReplicaLog.Tests;

/// <summary>
/// A log built one save at a time, with, for every record boundary of every segment, what recovery must return when
/// a crash leaves the file ending exactly there. The boundaries come from the record sizes of the format (header
/// 12 bytes, entry payload 17 + data, hard state payload 24, segment header payload 72), checked against the real
/// file lengths while building; the crash tests then cut and damage copies of the files.
/// </summary>
internal sealed class CrashModel
{
    public const long SegmentHeaderRecord = 12 + 72;
    private const long HardStateRecord = 12 + 24;

    private readonly Dictionary<string, byte[]> _files = [];

    private CrashModel(TestDirectory dir) => Dir = dir;

    public TestDirectory Dir { get; }

    /// <summary>Every entry saved, in order (the model never overwrites).</summary>
    public List<Entry> Entries { get; } = [];

    /// <summary>Record boundaries in file order: the segment, the offset where a record ends, and the state up to there.</summary>
    public List<Checkpoint> Checkpoints { get; } = [];

    /// <summary>The segment files in sequence order when the build finished.</summary>
    public string[] Segments { get; private set; } = [];

    public string LastSegment => Segments[^1];

    /// <summary>
    /// Saves entries 1..<paramref name="saves"/>, one per save, with data of varying length; every other save also carries
    /// a hard state whose commit is the entry just saved. With <paramref name="tailSaves"/>, saving goes on until a new
    /// segment was started and then stops after that many more saves in it.
    /// </summary>
    public static async Task<CrashModel> BuildAsync(TestDirectory dir, int saves, long segmentSize = FileReplicaLogOptions.DefaultSegmentSize, int? tailSaves = null)
    {
        var model = new CrashModel(dir);
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options(segmentSize));
        await using (store)
        {
            var hardState = HardState.Empty;
            var segment = dir.Segments().Single();
            var length = new FileInfo(segment).Length;
            Assert.Equal(SegmentHeaderRecord, length);
            model.Checkpoints.Add(new Checkpoint(segment, length, 0, hardState));
            var rolledAt = -1;
            for (var k = 1; tailSaves is null ? k <= saves : rolledAt < 0 || k <= rolledAt + tailSaves.Value; k++)
            {
                var entry = TestDirectory.MakeEntry((ulong)k, term: 1, size: 5 + (k * 13 % 41));
                HardState? newState = k % 2 == 0 ? new HardState(1, 1, (ulong)k) : null;
                await store.SaveAsync(newState, [entry]);

                var now = dir.Segments()[^1];
                var start = length;
                if (now != segment)
                {
                    segment = now;
                    start = SegmentHeaderRecord;
                    model.Checkpoints.Add(new Checkpoint(segment, start, model.Entries.Count, hardState));
                    if (k > saves && rolledAt < 0)
                    {
                        rolledAt = k - 1;
                    }
                }

                model.Entries.Add(entry);
                var end = start + RecordFormat.EntryRecordSize(entry);
                model.Checkpoints.Add(new Checkpoint(segment, end, model.Entries.Count, hardState));
                if (newState is { } state)
                {
                    hardState = state;
                    end += HardStateRecord;
                    model.Checkpoints.Add(new Checkpoint(segment, end, model.Entries.Count, hardState));
                }

                length = new FileInfo(segment).Length;
                Assert.Equal(end, length);
            }
        }

        model.Segments = dir.Segments();
        foreach (var file in model.Segments)
        {
            model._files[file] = await File.ReadAllBytesAsync(file);
        }

        return model;
    }

    /// <summary>Puts every segment back as it was when the build finished (recovery cuts, deletes and appends).</summary>
    public async Task RestoreAsync()
    {
        foreach (var file in Dir.Segments())
        {
            File.Delete(file);
        }

        foreach (var (file, bytes) in _files)
        {
            await File.WriteAllBytesAsync(file, bytes);
        }
    }

    public byte[] Original(string segment) => _files[segment];

    /// <summary>What recovery must return when <paramref name="segment"/> (the last one) ends at <paramref name="length"/>.</summary>
    public Checkpoint Expected(string segment, long length) =>
        Checkpoints.Where(c => c.Segment == segment && c.End <= length).LastOrDefault()
        ?? Checkpoints.Last(c => string.CompareOrdinal(c.Segment, segment) < 0);

    /// <summary>Asserts that <paramref name="recovery"/> is exactly the state of <paramref name="expected"/>.</summary>
    public void AssertRecovered(Checkpoint expected, ReplicaLogRecovery recovery)
    {
        TestDirectory.AssertSameEntries(Entries.GetRange(0, expected.EntryCount), recovery.Entries);
        Assert.Equal(expected.HardState, recovery.HardState);
        Assert.True(recovery.HardState.Commit <= recovery.LastIndex, "a hard state never commits past the recovered log");
    }

    public sealed record Checkpoint(string Segment, long End, int EntryCount, HardState HardState);
}
