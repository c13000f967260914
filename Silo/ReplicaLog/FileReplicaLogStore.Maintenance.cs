using EtcdOrleans.Raft;

namespace EtcdOrleans.ReplicaLog;

// Prefix deletion after a snapshot, and reading durable entries back from the files.
public sealed partial class FileReplicaLogStore
{
    /// <inheritdoc />
    public async Task CompactAsync(ulong index, CancellationToken cancellationToken = default)
    {
        ThrowIfNotOpen();
        await _maintenanceGate.WaitAsync(cancellationToken);
        try
        {
            List<SegmentFile> doomed;
            lock (_gate)
            {
                ThrowIfClosedLocked();
                ArgumentOutOfRangeException.ThrowIfGreaterThan(index, _snapshotIndex);
                doomed = TakeCompactableLocked(index);
            }

            // Oldest first, each deletion made durable before the next: a crash leaves a contiguous run of segments,
            // never a hole that recovery would have to call corruption.
            foreach (var segment in doomed)
            {
                File.Delete(segment.Path);
                Interlocked.Increment(ref _segmentsDeleted);
                if (_options.SyncWrites)
                {
                    SyncDirectory();
                }
            }
        }
        finally
        {
            _maintenanceGate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Entry>> ReadEntriesAsync(ulong fromIndex, ulong toIndexExclusive, CancellationToken cancellationToken = default)
    {
        ThrowIfNotOpen();
        await _maintenanceGate.WaitAsync(cancellationToken);
        try
        {
            List<(SegmentFile Segment, long Length)> files;
            ulong snapshotIndex, snapshotTerm;
            lock (_gate)
            {
                ThrowIfClosedLocked();
                files = _segments.Select(s => (s, s.DurableLength)).ToList();
                snapshotIndex = _snapshotIndex;
                snapshotTerm = _snapshotTerm;
            }

            var replayer = new LogReplayer();
            foreach (var (segment, length) in files)
            {
                var data = new byte[length];
                using (var handle = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                {
                    var read = 0;
                    while (read < length)
                    {
                        var n = await RandomAccess.ReadAsync(handle, data.AsMemory(read), read, cancellationToken);
                        if (n == 0)
                        {
                            throw new ReplicaLogCorruptException(segment.Path, read, "segment shorter than written");
                        }

                        read += n;
                    }
                }

                // A scratch copy of the segment: its minimum index must not disturb the live one.
                new SegmentFile(segment.Sequence, segment.FirstIndex, segment.Path).Replay(data, replayer, tolerateBadTail: false);
            }

            replayer.ApplySnapshot(snapshotIndex, snapshotTerm);
            return replayer.Range(Math.Max(fromIndex, snapshotIndex + 1), toIndexExclusive);
        }
        finally
        {
            _maintenanceGate.Release();
        }
    }

    /// <summary>
    /// Removes from the segment list the oldest segments whose live entries are all at or below
    /// <paramref name="index"/>. The last segment is never taken: the writer appends to it.
    /// </summary>
    private List<SegmentFile> TakeCompactableLocked(ulong index)
    {
        // An entry of segment k is live only if no later record replaced it. Segment k+1 starts at the log's
        // last index + 1 at the time it was created, and any later overwrite starts at that segment's lowest entry
        // index, so the live entries of k are all below the least first index or entry index of any later segment.
        var bound = new ulong[_segments.Count];
        var least = ulong.MaxValue;
        for (var k = _segments.Count - 1; k >= 0; k--)
        {
            bound[k] = least;
            least = Math.Min(least, Math.Min(_segments[k].FirstIndex, _segments[k].MinEntryIndex));
        }

        var count = 0;
        while (count < _segments.Count - 1 && bound[count] - 1 <= index)
        {
            count++;
        }

        var doomed = _segments.GetRange(0, count);
        _segments.RemoveRange(0, count);
        return doomed;
    }
}
