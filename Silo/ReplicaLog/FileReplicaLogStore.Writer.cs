using System.Diagnostics;
using EtcdOrleans.Raft;
using Microsoft.Win32.SafeHandles;

namespace EtcdOrleans.ReplicaLog;

// The single writer, on its own thread (it blocks in write and fdatasync, so it must not hold a thread-pool thread):
// takes every queued save into one batch, writes the batch with one write call, flushes once, and only then
// completes the waiters (group commit). Everything in this part runs on the writer thread alone, except where it
// takes _gate to publish state that callers read.
public sealed partial class FileReplicaLogStore
{
    private readonly RecordBuffer _buffer = new();
    private SafeFileHandle? _current;
    private SegmentFile? _currentSegment;
    private long _currentLength;
    private HardState _writerHardState;
    private ulong _writerLastIndex;
    private ulong _writerSnapshotIndex;
    private ulong _writerSnapshotTerm;

    /// <summary>Runs on the writer thread after it took a batch and before it writes it: lets tests hold or fail the writer.</summary>
    internal Action? OnBatchTakenForTests { get; set; }

    private void StartWriter()
    {
        _writerThread = new Thread(WriterMain)
        {
            IsBackground = true,
            Name = "replica-log-writer",
        };
        _writerThread.Start();
    }

    private void WriterMain()
    {
        var batch = new List<PendingSave>();
        try
        {
            while (TakeBatch(batch))
            {
                OnBatchTakenForTests?.Invoke();
                WriteBatch(batch);
                foreach (var save in batch)
                {
                    // Continuations run on the thread pool (RunContinuationsAsynchronously), never on this thread.
                    save.Done.TrySetResult();
                }
            }
        }
        catch (Exception ex)
        {
            FailAll(ex, batch);
        }
        finally
        {
            _writerExited.TrySetResult();
        }
    }

    /// <summary>Waits for queued saves and moves them into <paramref name="batch"/>; false once closing and drained.</summary>
    private bool TakeBatch(List<PendingSave> batch)
    {
        batch.Clear();
        while (true)
        {
            lock (_gate)
            {
                var bytes = 0L;
                while (bytes < _options.MaxBatchBytes && _pending.TryDequeue(out var save))
                {
                    batch.Add(save);
                    bytes += save.Bytes;
                }

                if (batch.Count > 0)
                {
                    return true;
                }

                if (_closing)
                {
                    return false;
                }

                // Reset under the lock, after finding nothing: whoever queues a save or starts closing takes the lock
                // after this and sets the event after it, so no wake-up is lost.
                _wake.Reset();
            }

            _wake.Wait();
        }
    }

    private void WriteBatch(List<PendingSave> batch)
    {
        var segment = _currentSegment!;
        foreach (var save in batch)
        {
            var position = _currentLength + _buffer.Length;
            if (position > RecordFormat.HeaderSize + RecordFormat.SegmentHeaderSize && position + save.Bytes > _options.SegmentSizeBytes)
            {
                // The full segment is made durable before the next one exists: only the last segment can have a torn tail.
                WriteBuffered();
                Sync(_current!, segment.Path);
                lock (_gate)
                {
                    segment.DurableLength = _currentLength;
                }

                segment = StartSegment(segment.Sequence + 1);
            }

            Encode(save, segment);
        }

        WriteBuffered();
        Sync(_current!, segment.Path);
        lock (_gate)
        {
            segment.DurableLength = _currentLength;
        }

        Interlocked.Increment(ref _batches);
    }

    private void Encode(PendingSave save, SegmentFile segment)
    {
        var entries = save.Entries;
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            _buffer.Advance(RecordFormat.WriteEntry(_buffer.Reserve(RecordFormat.EntryRecordSize(entry)), entry));
        }

        if (entries.Count > 0 && entries[0].Index < segment.MinEntryIndex)
        {
            lock (_gate)
            {
                segment.MinEntryIndex = entries[0].Index;
            }
        }

        // After the entries: whatever prefix of the file survives, a hard state never comes without the entries
        // saved with it, so its commit index never points past the recovered log.
        if (save.HardState is { } state && state != _writerHardState)
        {
            _buffer.Advance(RecordFormat.WriteHardState(_buffer.Reserve(RecordFormat.HeaderSize + RecordFormat.HardStateSize), state));
            _writerHardState = state;
        }

        if (save.SnapshotIndex != 0)
        {
            _buffer.Advance(RecordFormat.WriteSnapshot(_buffer.Reserve(RecordFormat.HeaderSize + RecordFormat.SnapshotSize), save.SnapshotIndex, save.SnapshotTerm));
            _writerSnapshotIndex = save.SnapshotIndex;
            _writerSnapshotTerm = save.SnapshotTerm;
        }

        _writerLastIndex = save.LastIndexAfter;
    }

    private void WriteBuffered()
    {
        if (_buffer.Length == 0)
        {
            return;
        }

        RandomAccess.Write(_current!, _buffer.Written, _currentLength);
        _currentLength += _buffer.Length;
        Interlocked.Add(ref _bytesWritten, _buffer.Length);
        ReplicaLogMetrics.BytesWritten.Add(_buffer.Length);
        _buffer.Clear();
    }

    /// <summary>
    /// Creates segment <paramref name="sequence"/> starting at the log's last index + 1, writes and flushes its header
    /// (which repeats the hard state and snapshot, so older segments can be deleted), flushes the directory, and makes
    /// it the current segment.
    /// </summary>
    private SegmentFile StartSegment(ulong sequence)
    {
        var segment = SegmentFile.Create(_directory, sequence, _writerLastIndex + 1);
        var handle = File.OpenHandle(segment.Path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        try
        {
            var header = new SegmentHeader(sequence, segment.FirstIndex, _writerHardState, _writerSnapshotIndex, _writerSnapshotTerm);
            Span<byte> record = stackalloc byte[RecordFormat.HeaderSize + RecordFormat.SegmentHeaderSize];
            RecordFormat.WriteSegmentHeader(record, header);
            RandomAccess.Write(handle, record, 0);
            Interlocked.Add(ref _bytesWritten, record.Length);
            Sync(handle, segment.Path);
            if (_options.SyncWrites)
            {
                SyncDirectory();
            }

            segment.DurableLength = record.Length;
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        _current?.Dispose();
        _current = handle;
        _currentSegment = segment;
        _currentLength = segment.DurableLength;
        lock (_gate)
        {
            _segments.Add(segment);
        }

        Interlocked.Increment(ref _segmentsCreated);
        return segment;
    }

    private void Sync(SafeFileHandle handle, string path)
    {
        if (!_options.SyncWrites)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        NativeMethods.SyncData(handle, path);
        ReplicaLogMetrics.FsyncDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        Interlocked.Increment(ref _syncs);
    }

    private void SyncDirectory()
    {
        NativeMethods.SyncDirectory(_directory);
        Interlocked.Increment(ref _syncs);
    }

    /// <summary>
    /// A write or flush failed: after a failed fdatasync the kernel may have dropped the dirty pages, so nothing
    /// written since the last good flush can be trusted and retrying is not safe. Fail everything and refuse more.
    /// </summary>
    private void FailAll(Exception failure, List<PendingSave> batch)
    {
        var error = new ReplicaLogFaultedException(_directory, failure);
        List<PendingSave> queued;
        lock (_gate)
        {
            _fault = failure;
            queued = [.. _pending];
            _pending.Clear();
        }

        foreach (var save in batch.Concat(queued))
        {
            save.Done.TrySetException(error);
        }
    }
}
