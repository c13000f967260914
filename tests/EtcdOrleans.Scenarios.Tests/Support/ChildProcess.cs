using System.Collections.Concurrent;
using System.Diagnostics;

namespace EtcdOrleans.Scenarios.Tests.Support;

/// <summary>
/// A server process started by a target: its stdout and stderr go to <c>&lt;name&gt;.out.log</c> and
/// <c>&lt;name&gt;.err.log</c> in a directory of the target's, and it is killed with its whole process tree on
/// dispose, or when the test host exits.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<ChildProcess, bool> Running = new();
    private readonly Process process;
    private readonly LogFile stdout;
    private readonly LogFile stderr;

    static ChildProcess()
    {
        // Safety net: never leave a server behind, even when the test host is torn down abruptly.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var child in Running.Keys)
            {
                child.Kill();
            }
        };
    }

    private ChildProcess(string name, Process process, LogFile stdout, LogFile stderr)
    {
        Name = name;
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    public string Name { get; }

    public string StdoutPath => stdout.Path;

    public string StderrPath => stderr.Path;

    public bool HasExited => process.HasExited;

    /// <summary>Freezes the process (SIGSTOP): it holds its sockets and state but runs no code until <see cref="Resume"/>.</summary>
    public void Pause() => Signal(SigStop);

    /// <summary>Lets a paused process run again (SIGCONT).</summary>
    public void Resume() => Signal(SigCont);

    private const int SigCont = 18;
    private const int SigStop = 19;

    private void Signal(int signal)
    {
        if (!process.HasExited && SendSignal(process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({process.Id}, {signal}) failed with errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>
    /// Starts <paramref name="fileName"/> with <paramref name="arguments"/> and extra environment variables in
    /// <paramref name="workingDirectory"/> (an app's content root, where it finds its appsettings.json).
    /// </summary>
    public static ChildProcess Start(
        string name,
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string> environment,
        string workingDirectory,
        DirectoryInfo logDirectory)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var stdout = new LogFile(Path.Combine(logDirectory.FullName, name + ".out.log"));
        var stderr = new LogFile(Path.Combine(logDirectory.FullName, name + ".err.log"));
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => stdout.Append(e.Data);
        process.ErrorDataReceived += (_, e) => stderr.Append(e.Data);
        var child = new ChildProcess(name, process, stdout, stderr);
        try
        {
            process.Start();
        }
        catch
        {
            stdout.Dispose();
            stderr.Dispose();
            process.Dispose();
            throw;
        }

        Running[child] = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>"name exited with code N" or "name is running", then the last lines of its stdout and stderr.</summary>
    public string Describe(int lines = 40)
    {
        var state = process.HasExited ? $"{Name} exited with code {process.ExitCode}" : $"{Name} is running";
        return $"{state}\n--- {StdoutPath} (last {lines} lines)\n{stdout.Tail(lines)}\n--- {StderrPath} (last {lines} lines)\n{stderr.Tail(lines)}";
    }

    /// <summary>Everything the process wrote so far, stdout then stderr.</summary>
    public string Output() => stdout.ReadAll() + stderr.ReadAll();

    public async ValueTask DisposeAsync()
    {
        Kill();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // Killed but not yet reaped: nothing more to do from here.
            }
        }

        Running.TryRemove(this, out _);
        process.Dispose();
        stdout.Dispose();
        stderr.Dispose();
    }

    private void Kill()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>One output stream of the process, appended line by line to a file.</summary>
    private sealed class LogFile(string path) : IDisposable
    {
        private readonly StreamWriter writer = new(path) { AutoFlush = true };
        private bool closed;

        public string Path { get; } = path;

        public void Append(string? line)
        {
            lock (writer)
            {
                if (line is not null && !closed)
                {
                    writer.WriteLine(line);
                }
            }
        }

        public string ReadAll()
        {
            lock (writer)
            {
                using var reader = new StreamReader(new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
                return reader.ReadToEnd();
            }
        }

        public string Tail(int lines)
        {
            var all = ReadAll().TrimEnd('\n').Split('\n');
            return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        }

        public void Dispose()
        {
            lock (writer)
            {
                closed = true;
                writer.Dispose();
            }
        }
    }
}
