using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using EtcdOrleans.Scenarios.Tests.Support;

namespace EtcdOrleans.Scenarios.Tests.Targets;

/// <summary>
/// A real single-member etcd 3.4 (<c>/usr/bin/etcd</c>, Debian's etcd-server) on a free loopback
/// port pair with a fresh data directory and default durability (fsync on). Disposing kills the
/// process and deletes the directory. A missing binary fails the test: CI installs it.
/// </summary>
public sealed class RealEtcdTarget : IEtcdTarget
{
    public const string BinaryVariable = "ETCD_SCENARIO_ETCD_BINARY";
    private const string DefaultBinary = "/usr/bin/etcd";
    private const int MaxAttempts = 4;

    private static readonly ConcurrentDictionary<int, Process> Running = new();
    private readonly StringBuilder log = new();
    private Process? process;
    private DirectoryInfo? dataDir;
    private string? endpoint;

    static RealEtcdTarget()
    {
        // Safety net: never leave an etcd behind, even when the test host is torn down abruptly.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var p in Running.Values)
            {
                TryKill(p);
            }
        };
    }

    public string Name => "etcd-3.4";

    public string Endpoint => endpoint ?? throw new InvalidOperationException("The target has not been started.");

    public static string BinaryPath => Environment.GetEnvironmentVariable(BinaryVariable) is { Length: > 0 } path ? path : DefaultBinary;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(BinaryPath))
        {
            throw new InvalidOperationException(
                $"etcd 3.4 is required by the scenario suite but {BinaryPath} does not exist. " +
                "Install Debian's etcd-server package (apt-get install etcd-server) or set " +
                $"{BinaryVariable} to an etcd 3.4 binary.");
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartOnceAsync(cancellationToken);
                return;
            }
            catch (InvalidOperationException) when (attempt < MaxAttempts && LoopbackPorts.IsAddressInUse(LogText()))
            {
                // Another process took one of the ports between probing and binding: try a new pair.
                await StopAsync();
            }
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task StartOnceAsync(CancellationToken cancellationToken)
    {
        var ports = LoopbackPorts.Allocate(2);
        var (clientPort, peerPort) = (ports[0], ports[1]);

        dataDir = Directory.CreateTempSubdirectory("etcd-scenario-");
        var clientUrl = $"http://127.0.0.1:{clientPort}";
        var peerUrl = $"http://127.0.0.1:{peerPort}";
        var info = new ProcessStartInfo(BinaryPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--name", "scenario",
                     "--data-dir", dataDir.FullName,
                     "--listen-client-urls", clientUrl,
                     "--advertise-client-urls", clientUrl,
                     "--listen-peer-urls", peerUrl,
                     "--initial-advertise-peer-urls", peerUrl,
                     "--initial-cluster", $"scenario={peerUrl}",
                     "--initial-cluster-state", "new",
                     "--logger", "zap",
                     "--log-level", "warn",
                 })
        {
            info.ArgumentList.Add(arg);
        }

        lock (log)
        {
            log.Clear();
        }

        process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        Running[process.Id] = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var started = process;
        await TargetProbe.WaitUntilAnswersAsync(
            clientUrl,
            TimeSpan.FromSeconds(60),
            () => started.HasExited ? $"etcd exited with code {started.ExitCode} while starting:\n{LogText()}" : null,
            cancellationToken);
        endpoint = clientUrl;
    }

    private async Task StopAsync()
    {
        if (process is { } p)
        {
            process = null;
            TryKill(p);
            await p.WaitForExitAsync();
            Running.TryRemove(p.Id, out _);
            p.Dispose();
        }

        if (dataDir is { } dir)
        {
            dataDir = null;
            try
            {
                dir.Delete(recursive: true);
            }
            catch (IOException)
            {
                // Best effort: the directory lives under the temp folder.
            }
        }

        endpoint = null;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            if (log.Length < 64 * 1024)
            {
                log.AppendLine(line);
            }
        }
    }

    private string LogText()
    {
        lock (log)
        {
            return log.ToString();
        }
    }

    private static void TryKill(Process p)
    {
        try
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
