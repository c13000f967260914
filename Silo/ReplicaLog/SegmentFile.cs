using System.Globalization;

namespace EtcdOrleans.ReplicaLog;

/// <summary>
/// One segment file, <c>{sequence:x16}-{firstIndex:x16}.wal</c>: a segment header record followed by entry, hard
/// state and snapshot records. The first index is the log's last index + 1 when the segment was started; the
/// sequence orders segments (after a suffix truncation a later segment may hold lower indexes than an earlier one).
/// </summary>
internal sealed class SegmentFile(ulong sequence, ulong firstIndex, string path)
{
    public const string Extension = ".wal";

    public ulong Sequence { get; } = sequence;

    public ulong FirstIndex { get; } = firstIndex;

    public string Path { get; } = path;

    /// <summary>The lowest entry index written in this segment (<see cref="ulong.MaxValue"/> if none).</summary>
    public ulong MinEntryIndex { get; set; } = ulong.MaxValue;

    /// <summary>Bytes written (and flushed, when syncing) so far.</summary>
    public long DurableLength { get; set; }

    public static string FileName(ulong sequence, ulong firstIndex) =>
        string.Create(CultureInfo.InvariantCulture, $"{sequence:x16}-{firstIndex:x16}{Extension}");

    public static SegmentFile Create(string directory, ulong sequence, ulong firstIndex) =>
        new(sequence, firstIndex, System.IO.Path.Combine(directory, FileName(sequence, firstIndex)));

    /// <summary>Parses a file name made by <see cref="FileName"/>; null for anything else.</summary>
    public static SegmentFile? TryParse(string path)
    {
        var name = System.IO.Path.GetFileName(path);
        if (name.Length != 33 + Extension.Length || !name.EndsWith(Extension, StringComparison.Ordinal) || name[16] != '-' ||
            !ulong.TryParse(name.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var sequence) ||
            !ulong.TryParse(name.AsSpan(17, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var first))
        {
            return null;
        }

        return new SegmentFile(sequence, first, path);
    }

    /// <summary>The segments of <paramref name="directory"/> in sequence order; a missing sequence number is corruption.</summary>
    public static List<SegmentFile> List(string directory)
    {
        var segments = System.IO.Directory.EnumerateFiles(directory, "*" + Extension)
            .Select(TryParse)
            .OfType<SegmentFile>()
            .OrderBy(s => s.Sequence)
            .ToList();
        for (var i = 1; i < segments.Count; i++)
        {
            if (segments[i].Sequence != segments[i - 1].Sequence + 1)
            {
                throw new ReplicaLogCorruptException(directory, -1, $"segment sequence {segments[i - 1].Sequence + 1} is missing");
            }
        }

        return segments;
    }

    /// <summary>
    /// Replays the records of this segment's <paramref name="data"/> into <paramref name="replayer"/> and returns the
    /// length of the valid prefix. A bad record throws when <paramref name="tolerateBadTail"/> is false; otherwise the
    /// scan stops there. A valid prefix of 0 means not even the segment header is valid.
    /// </summary>
    public long Replay(ReadOnlySpan<byte> data, LogReplayer replayer, bool tolerateBadTail)
    {
        var offset = 0;
        var first = true;
        while (true)
        {
            var status = RecordFormat.TryRead(data, offset, out var record, out var next, out var problem);
            if (status == RecordStatus.End)
            {
                if (first && !tolerateBadTail)
                {
                    throw new ReplicaLogCorruptException(Path, 0, "segment without header");
                }

                return offset;
            }

            if (status == RecordStatus.Bad)
            {
                if (!tolerateBadTail)
                {
                    throw new ReplicaLogCorruptException(Path, offset, problem!);
                }

                return offset;
            }

            var payload = data.Slice(record.PayloadOffset, record.PayloadLength);
            if (first)
            {
                if (record.Type != RecordType.SegmentHeader || !RecordFormat.TryReadSegmentHeader(payload, out var header) ||
                    header.Sequence != Sequence || header.FirstIndex != FirstIndex)
                {
                    throw new ReplicaLogCorruptException(Path, 0, "segment header does not match the file");
                }

                replayer.ApplySegmentHeader(header);
                first = false;
            }
            else
            {
                Apply(record.Type, payload, replayer, offset);
            }

            offset = next;
        }
    }

    private void Apply(RecordType type, ReadOnlySpan<byte> payload, LogReplayer replayer, int offset)
    {
        switch (type)
        {
            case RecordType.Entry:
                var entry = RecordFormat.ReadEntry(payload);
                if (!replayer.ApplyEntry(entry))
                {
                    throw new ReplicaLogCorruptException(Path, offset, $"entry {entry.Index} leaves a gap after {replayer.LastIndex}");
                }

                MinEntryIndex = Math.Min(MinEntryIndex, entry.Index);
                break;
            case RecordType.HardState:
                replayer.ApplyHardState(RecordFormat.ReadHardState(payload));
                break;
            case RecordType.Snapshot:
                var (index, term) = RecordFormat.ReadSnapshot(payload);
                replayer.ApplySnapshot(index, term);
                break;
            default:
                throw new ReplicaLogCorruptException(Path, offset, "segment header in the middle of a segment");
        }
    }
}
