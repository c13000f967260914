using EtcdOrleans.Raft;

namespace EtcdOrleans.ReplicaLog.Tests;

/// <summary>A fresh directory under the temp folder, removed when disposed, plus helpers shared by the tests.</summary>
internal sealed class TestDirectory : IDisposable
{
    public TestDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "replicalog-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public FileReplicaLogOptions Options(long segmentSize = FileReplicaLogOptions.DefaultSegmentSize, bool sync = false) =>
        new(Path) { SegmentSizeBytes = segmentSize, SyncWrites = sync };

    public string[] Segments() => Directory.GetFiles(Path, "*.wal").Order(StringComparer.Ordinal).ToArray();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Entry <paramref name="index"/> of <paramref name="term"/> with data that names both, of about <paramref name="size"/> bytes.</summary>
    public static Entry MakeEntry(ulong index, ulong term = 1, int size = 8)
    {
        var data = new byte[size];
        for (var i = 0; i < size; i++)
        {
            data[i] = (byte)((index * 31) + (term * 7) + (ulong)i);
        }

        return Entry.Normal(term, index, data);
    }

    public static Entry[] MakeEntries(ulong from, ulong to, ulong term = 1, int size = 8)
    {
        var entries = new Entry[to - from + 1];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = MakeEntry(from + (ulong)i, term, size);
        }

        return entries;
    }

    /// <summary>Asserts two entry lists are equal entry by entry, data included.</summary>
    public static void AssertSameEntries(IReadOnlyList<Entry> expected, IReadOnlyList<Entry> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Index, actual[i].Index);
            Assert.Equal(expected[i].Term, actual[i].Term);
            Assert.Equal(expected[i].Type, actual[i].Type);
            Assert.Equal(expected[i].Data.ToArray(), actual[i].Data.ToArray());
        }
    }
}
