using System.Diagnostics;
using System.Text.Json;

namespace EtcdOrleans.Scenarios.Tests.Support;

/// <summary>What one etcdctl invocation did.</summary>
public sealed record EtcdctlResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The "Error: ..." line etcdctl prints last on stderr (its retry warnings come before it).</summary>
    public string? ErrorLine => Stderr.Split('\n').Select(l => l.TrimEnd('\r')).LastOrDefault(l => l.StartsWith("Error: ", StringComparison.Ordinal));

    /// <summary>Stdout lines without the trailing empty line.</summary>
    public string[] Lines => Stdout.TrimEnd('\n').Split('\n');

    /// <summary>Stdout parsed as JSON (for -w json).</summary>
    public JsonElement Json
    {
        get
        {
            using var document = JsonDocument.Parse(Stdout);
            return document.RootElement.Clone();
        }
    }

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// Runs etcdctl 3.4 (<c>/usr/bin/etcdctl</c>, Debian's etcd-client) as a child process against
/// one endpoint, with ETCDCTL_API=3 and a hard timeout after which the process is killed.
/// </summary>
public sealed class EtcdctlRunner(string endpoint)
{
    public const string BinaryVariable = "ETCD_SCENARIO_ETCDCTL_BINARY";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static string BinaryPath => Environment.GetEnvironmentVariable(BinaryVariable) is { Length: > 0 } path ? path : "/usr/bin/etcdctl";

    public Task<EtcdctlResult> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    /// <summary>
    /// Runs a command that does not end by itself (etcdctl watch) until <paramref name="stdoutLines"/> lines have come
    /// or 15 s passed, then stops it; returns what it printed.
    /// </summary>
    public async Task<string[]> RunUntilAsync(int stdoutLines, params string[] args)
    {
        var info = new ProcessStartInfo(BinaryPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["ETCDCTL_API"] = "3";
        foreach (var arg in new[] { $"--endpoints={endpoint}", "--dial-timeout=5s" }.Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("etcdctl did not start.");
        var lines = new List<string>();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            while (lines.Count < stdoutLines && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                lines.Add(line);
            }
        }
        catch (OperationCanceledException)
        {
            // Out of time: what came so far is the answer.
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        return lines.Count > 0 || !process.HasExited ? [.. lines] : throw new InvalidOperationException(await stderr);
    }

    public async Task<EtcdctlResult> RunWithInputAsync(string? stdin, params string[] args)
    {
        if (!File.Exists(BinaryPath))
        {
            throw new InvalidOperationException(
                $"etcdctl 3.4 is required by the scenario suite but {BinaryPath} does not exist. " +
                $"Install Debian's etcd-client package or set {BinaryVariable}.");
        }

        var info = new ProcessStartInfo(BinaryPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["ETCDCTL_API"] = "3";
        foreach (var arg in new[] { $"--endpoints={endpoint}", "--dial-timeout=5s", "--command-timeout=10s" }.Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("etcdctl did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"etcdctl {string.Join(' ', args)} did not finish within {Timeout.TotalSeconds} s.");
        }

        return new EtcdctlResult(process.ExitCode, await stdout, await stderr);
    }
}
