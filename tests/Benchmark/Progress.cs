using System.Diagnostics;
using System.Globalization;

namespace EtcdOrleans.Benchmark;

/// <summary>
/// Progress on stderr: a redrawn bar when stderr is a terminal, a plain line every few seconds
/// when it is redirected, nothing with <c>--no-progress</c>. Increment is one interlocked add.
/// </summary>
public sealed class Progress : IAsyncDisposable
{
    private readonly long _total;
    private readonly bool _terminal;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _done;

    public Progress(long total, bool enabled)
    {
        _total = total;
        _terminal = !Console.IsErrorRedirected;
        _loop = enabled ? RunAsync() : Task.CompletedTask;
    }

    public void Increment() => Interlocked.Increment(ref _done);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var period = _terminal ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(5);
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                Draw(final: false);
            }
        }
        catch (OperationCanceledException)
        {
        }

        Draw(final: true);
    }

    private void Draw(bool final)
    {
        var done = Interlocked.Read(ref _done);
        var elapsed = Stopwatch.GetElapsedTime(_started);
        var fraction = _total > 0 ? Math.Min(1.0, (double)done / _total) : 1.0;
        var time = elapsed.ToString(@"m\:ss", CultureInfo.InvariantCulture);
        if (_terminal)
        {
            const int width = 40;
            var filled = (int)(fraction * width);
            var bar = new string('=', filled) + (filled < width ? ">" + new string(' ', width - filled - 1) : string.Empty);
            Console.Error.Write(string.Create(
                CultureInfo.InvariantCulture,
                $"\r {done} / {_total} [{bar}] {fraction * 100:F2}% {time}"));
            if (final)
            {
                Console.Error.WriteLine();
            }
        }
        else if (!final || done > 0)
        {
            Console.Error.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"progress: {done}/{_total} ({fraction * 100:F1}%) after {time}"));
        }
    }
}
