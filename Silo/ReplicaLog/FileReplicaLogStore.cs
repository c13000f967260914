using EtcdOrleans.Raft;

namespace EtcdOrleans.ReplicaLog;

/// <summary>
/// <see cref="IReplicaLogStore"/> on a local directory: segment files of checksummed records with group commit,
/// a snapshot file, and a <c>LOCK</c> file as the fence. See README.md for the format and the invariants.
/// </summary>
/// <remarks>
/// Callers queue saves under <see cref="_gate"/>; one dedicated writer thread takes everything queued, writes it
/// with one write call, flushes once and then completes every waiter of the batch (see the Writer part).
/// </remarks>
public sealed partial class FileReplicaLogStore : IReplicaLogStore
{
    private const int StateNew = 0;
    private const int StateOpen = 1;
    private const int StateDisposed = 2;

    private readonly FileReplicaLogOptions _options;
    private readonly string _directory;

    // Guards the queue and its order, the validation state (_terms), the segment list, the stored snapshot index,
    // _closing and the fault.
    private readonly Lock _gate = new();
    private readonly Queue<PendingSave> _pending = new();
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly TaskCompletionSource _writerExited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly TermRuns _terms = new();
    private readonly List<SegmentFile> _segments = [];
    private readonly SemaphoreSlim _snapshotGate = new(1, 1);
    private readonly SemaphoreSlim _maintenanceGate = new(1, 1);
    private ulong _snapshotIndex;
    private ulong _snapshotTerm;
    private Exception? _fault;
    private bool _closing;
    private int _state;
    private DirectoryLock? _lock;
    private Thread? _writerThread;

    private long _saves;
    private long _batches;
    private long _syncs;
    private long _bytesWritten;
    private long _segmentsCreated;
    private long _segmentsDeleted;

    /// <summary>Creates a store for <paramref name="options"/>; nothing is touched until <see cref="OpenAsync(CancellationToken)"/>.</summary>
    public FileReplicaLogStore(FileReplicaLogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Directory));
    }

    /// <summary>The replica directory (full path).</summary>
    public string Directory => _directory;

    /// <inheritdoc />
    public ReplicaLogCounters Counters => new(
        Interlocked.Read(ref _saves),
        Interlocked.Read(ref _batches),
        Interlocked.Read(ref _syncs),
        Interlocked.Read(ref _bytesWritten),
        Interlocked.Read(ref _segmentsCreated),
        Interlocked.Read(ref _segmentsDeleted));

    /// <summary>Creates and opens a store in one call.</summary>
    public static async Task<(FileReplicaLogStore Store, ReplicaLogRecovery Recovery)> OpenAsync(
        FileReplicaLogOptions options, CancellationToken cancellationToken = default)
    {
        var store = new FileReplicaLogStore(options);
        try
        {
            var recovery = await store.OpenAsync(cancellationToken);
            return (store, recovery);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<ReplicaLogRecovery> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, StateOpen, StateNew) != StateNew)
        {
            throw new InvalidOperationException("The replica log store was already opened or disposed.");
        }

        try
        {
            CreateDirectoryDurably();
            _lock = DirectoryLock.Acquire(_directory);
            return await RecoverAsync(cancellationToken);
        }
        catch
        {
            _state = StateDisposed;
            _current?.Dispose();
            _current = null;
            _lock?.Dispose();
            _lock = null;
            throw;
        }
    }

    /// <inheritdoc />
    public Task SaveAsync(HardState? hardState, IReadOnlyList<Entry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ThrowIfNotOpen();
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        var bytes = hardState is null ? 0L : RecordFormat.HeaderSize + RecordFormat.HardStateSize;
        for (var i = 0; i < entries.Count; i++)
        {
            bytes += RecordFormat.EntryRecordSize(entries[i]);
        }

        if (bytes > int.MaxValue)
        {
            throw new ArgumentException("A single save must encode to less than 2 GiB.", nameof(entries));
        }

        var save = new PendingSave(hardState, entries, (int)bytes);
        Task done;
        lock (_gate)
        {
            ThrowIfClosedLocked();
            ValidateEntries(entries);
            for (var i = 0; i < entries.Count; i++)
            {
                _terms.Append(entries[i].Index, entries[i].Term);
            }

            save.LastIndexAfter = _terms.LastIndex;
            done = EnqueueLocked(save);
        }

        _wake.Set();
        return done;
    }

    /// <inheritdoc />
    public async Task SaveSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ThrowIfNotOpen();
        var meta = snapshot.Metadata;
        ArgumentOutOfRangeException.ThrowIfZero(meta.Index, nameof(snapshot));
        await _snapshotGate.WaitAsync(cancellationToken);
        try
        {
            lock (_gate)
            {
                ThrowIfClosedLocked();
                ArgumentOutOfRangeException.ThrowIfLessThan(meta.Index, _snapshotIndex, nameof(snapshot));
            }

            // The file first: recovery trusts the snapshot file, and the log record only repeats it.
            await SnapshotFile.WriteAsync(_directory, snapshot, _options.SyncWrites, cancellationToken);
            if (_options.SyncWrites)
            {
                Interlocked.Add(ref _syncs, 2);
            }

            Task marker;
            lock (_gate)
            {
                ThrowIfClosedLocked();
                if (meta.Index > _terms.BaseIndex && _terms.TermAt(meta.Index) != meta.Term)
                {
                    _terms.Reset(meta.Index);
                }
                else
                {
                    _terms.Rebase(meta.Index);
                }

                _snapshotIndex = meta.Index;
                _snapshotTerm = meta.Term;
                var save = new PendingSave(null, [], RecordFormat.HeaderSize + RecordFormat.SnapshotSize)
                {
                    SnapshotIndex = meta.Index,
                    SnapshotTerm = meta.Term,
                    LastIndexAfter = _terms.LastIndex,
                };
                marker = EnqueueLocked(save);
            }

            _wake.Set();
            await marker;
        }
        finally
        {
            _snapshotGate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        var previous = Interlocked.Exchange(ref _state, StateDisposed);
        if (previous == StateDisposed)
        {
            return;
        }

        lock (_gate)
        {
            _closing = true;
        }

        _wake.Set();
        try
        {
            if (_writerThread is not null)
            {
                // The writer drains what is queued, then exits.
                await _writerExited.Task;
            }
        }
        finally
        {
            _current?.Dispose();
            _current = null;
            _buffer.Dispose();
            _lock?.Dispose();
            _lock = null;
        }
    }

    /// <summary>Creates the replica directory and flushes the parents of every directory created, so it survives a crash.</summary>
    private void CreateDirectoryDurably()
    {
        var created = new List<string>();
        for (var dir = _directory; dir is not null && !System.IO.Directory.Exists(dir); dir = Path.GetDirectoryName(dir))
        {
            created.Add(dir);
        }

        System.IO.Directory.CreateDirectory(_directory);
        if (!_options.SyncWrites)
        {
            return;
        }

        foreach (var dir in created)
        {
            if (Path.GetDirectoryName(dir) is { } parent)
            {
                NativeMethods.SyncDirectory(parent);
                Interlocked.Increment(ref _syncs);
            }
        }
    }

    private void ValidateEntries(IReadOnlyList<Entry> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }

        var first = entries[0].Index;
        for (var i = 0; i < entries.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(entries[i], nameof(entries));
            if (entries[i].Index != first + (ulong)i)
            {
                throw new ArgumentException($"Entry indexes must be consecutive: {entries[i].Index} follows {entries[i - 1].Index}.", nameof(entries));
            }

            if (entries[i].Data.Length > RecordFormat.MaxPayload - RecordFormat.EntryFixedSize)
            {
                throw new ArgumentException($"Entry {entries[i].Index} is larger than a record can hold.", nameof(entries));
            }
        }

        if (first <= _terms.BaseIndex || first > _terms.LastIndex + 1)
        {
            throw new ArgumentException(
                $"The first entry index {first} must be in ({_terms.BaseIndex}, {_terms.LastIndex + 1}] (after the snapshot, at most last index + 1).",
                nameof(entries));
        }
    }

    private Task EnqueueLocked(PendingSave save)
    {
        _pending.Enqueue(save);
        Interlocked.Increment(ref _saves);
        return save.Done.Task;
    }

    private void ThrowIfNotOpen()
    {
        var state = Volatile.Read(ref _state);
        if (state == StateDisposed)
        {
            throw new ObjectDisposedException(nameof(FileReplicaLogStore));
        }

        if (state != StateOpen)
        {
            throw new InvalidOperationException("Open the replica log store first.");
        }
    }

    private void ThrowIfClosedLocked()
    {
        if (_fault is not null)
        {
            throw new ReplicaLogFaultedException(_directory, _fault);
        }

        if (_closing)
        {
            throw new ObjectDisposedException(nameof(FileReplicaLogStore));
        }
    }

    /// <summary>One queued save: the records to write and the waiter to release once they are durable.</summary>
    private sealed class PendingSave(HardState? hardState, IReadOnlyList<Entry> entries, int bytes)
    {
        public HardState? HardState { get; } = hardState;

        public IReadOnlyList<Entry> Entries { get; } = entries;

        public int Bytes { get; } = bytes;

        public ulong SnapshotIndex { get; init; }

        public ulong SnapshotTerm { get; init; }

        public ulong LastIndexAfter { get; set; }

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
