using EtcdOrleans.Raft;

namespace EtcdOrleans.ReplicaLog;

// Recovery at open: read the snapshot, replay every segment in order, cut a torn or corrupt tail off the last
// segment, reconcile the log with the snapshot, then start the writer on the last segment.
public sealed partial class FileReplicaLogStore
{
    private async Task<ReplicaLogRecovery> RecoverAsync(CancellationToken cancellationToken)
    {
        File.Delete(Path.Combine(_directory, SnapshotFile.TempFileName));
        var snapshot = await SnapshotFile.ReadAsync(_directory, cancellationToken);
        var segments = SegmentFile.List(_directory);
        var replayer = new LogReplayer();
        for (var i = 0; i < segments.Count; i++)
        {
            var segment = segments[i];
            var isLast = i == segments.Count - 1;
            var data = await File.ReadAllBytesAsync(segment.Path, cancellationToken);
            var valid = segment.Replay(data, replayer, tolerateBadTail: isLast);
            if (valid == 0 && data.Length > RecordFormat.HeaderSize + RecordFormat.SegmentHeaderSize)
            {
                // A new segment's header is flushed before anything is written after it, so a bad header followed by
                // more data is damage to flushed data, not a torn write.
                throw new ReplicaLogCorruptException(segment.Path, 0, "bad segment header before written data");
            }

            segment.DurableLength = valid;
            if (valid < data.Length)
            {
                CutTail(segment, valid);
            }
        }

        if (segments.Count > 0 && segments[^1].DurableLength == 0)
        {
            // Not even the header of the last segment made it: the segment never held anything acknowledged
            // (a new segment's header is flushed before anything is written after it).
            File.Delete(segments[^1].Path);
            segments.RemoveAt(segments.Count - 1);
            if (_options.SyncWrites)
            {
                SyncDirectory();
            }
        }

        var meta = snapshot.Metadata;
        if (replayer.SnapshotIndex > meta.Index)
        {
            throw new ReplicaLogCorruptException(
                Path.Combine(_directory, SnapshotFile.FileName), -1,
                $"the log records a snapshot at {replayer.SnapshotIndex} but the snapshot file holds {meta.Index}");
        }

        replayer.ApplySnapshot(meta.Index, meta.Term);
        var entries = replayer.Entries.ToArray();
        if (entries.Length > 0 && entries[0].Index != meta.Index + 1)
        {
            throw new ReplicaLogCorruptException(
                _directory, -1, $"the log starts at {entries[0].Index} but the snapshot ends at {meta.Index}");
        }

        // The in-memory state the writer and the validation continue from.
        _snapshotIndex = meta.Index;
        _snapshotTerm = meta.Term;
        _terms.Reset(meta.Index);
        foreach (var entry in entries)
        {
            _terms.Append(entry.Index, entry.Term);
        }

        _writerHardState = replayer.HardState;
        _writerLastIndex = _terms.LastIndex;
        _writerSnapshotIndex = meta.Index;
        _writerSnapshotTerm = meta.Term;
        _segments.AddRange(segments);
        if (segments.Count == 0)
        {
            StartSegment(0);
        }
        else
        {
            var last = segments[^1];
            _current = File.OpenHandle(last.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
            _currentSegment = last;
            _currentLength = last.DurableLength;
        }

        StartWriter();
        return new ReplicaLogRecovery(replayer.HardState, snapshot, entries);
    }

    private void CutTail(SegmentFile segment, long length)
    {
        using var handle = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        RandomAccess.SetLength(handle, length);
        if (_options.SyncWrites)
        {
            Sync(handle, segment.Path);
        }
    }
}
