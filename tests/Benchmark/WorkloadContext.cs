namespace EtcdOrleans.Benchmark;

/// <summary>
/// What a workload command gets: its flags, the shared options, the connections, and where to print.
/// A command reads and checks all its flags first, then calls <see cref="ConnectAsync"/>, so that a
/// command-line mistake is reported before any connection is attempted.
/// </summary>
public sealed class WorkloadContext(CommandLine line, GlobalOptions options, TextWriter output) : IDisposable
{
    private ConnectionPool? _pool;

    public CommandLine Line { get; } = line;

    public GlobalOptions Options { get; } = options;

    /// <summary>The --conns connections; available after <see cref="ConnectAsync"/>.</summary>
    public ConnectionPool Pool => _pool ?? throw new InvalidOperationException("ConnectAsync has not been called");

    /// <summary>Opens the connections (and warms them up).</summary>
    public async Task ConnectAsync() => _pool ??= await ConnectionPool.CreateAsync(Options);

    public void Dispose() => _pool?.Dispose();

    /// <summary>Where human-readable output goes: stdout, or stderr when the JSON summary takes stdout.</summary>
    public TextWriter Output { get; } = output;

    public Progress StartProgress(long total) => new(total, !Options.NoProgress);

    /// <summary>Runs <paramref name="workers"/> for <paramref name="total"/> requests and returns the wall time in seconds.</summary>
    public async Task<double> RunAsync(IReadOnlyList<IRequestWorker> workers, long total, ResultRecorder recorder, Pacer? pacer = null)
    {
        double seconds;
        await using (var progress = StartProgress(total))
        {
            seconds = await LoadRunner.RunAsync(workers, total, recorder, progress, pacer, Options.TimeLimit);
        }

        return seconds;
    }

    public static string ParseConsistency(string value) => value switch
    {
        "l" or "s" => value,
        _ => throw new UsageException($"--consistency must be l (linearizable) or s (serializable), got '{value}'"),
    };
}
