using System.Globalization;
using System.Reflection;
using EtcdOrleans.Scenarios.Tests.Targets;

namespace EtcdOrleans.Scenarios.Tests.Support;

/// <summary>
/// EtcdOrleans as it is deployed, from this build's outputs: three silo processes
/// (<c>Silo/Host/bin/&lt;Configuration&gt;/net10.0/EtcdOrleans.Silo.dll</c>, 3 replicas, 4 ranges) and one gateway
/// (<c>Gateway/bin/&lt;Configuration&gt;/net10.0/EtcdOrleans.Gateway.dll</c>), sharing one data directory, each on
/// loopback ports chosen once. Processes can be killed one by one and the whole system stopped and started again
/// on the same directory and ports (fault tests). Each process's stdout and stderr are files in the directory;
/// a failed start quotes their last lines.
/// </summary>
public sealed class LocalEtcdOrleans : IAsyncDisposable
{
    public const int SiloCount = 3;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(3);

    private readonly ChildProcess?[] _silos = new ChildProcess?[SiloCount];
    private readonly int[] _ports;
    private readonly string _siloDll;
    private readonly string _gatewayDll;
    private ChildProcess? _gateway;
    private int _generation;
    private int _restarts;
    private readonly IReadOnlyDictionary<string, string> _gatewaySettings;
    private readonly IReadOnlyDictionary<string, string> _siloSettings;

    /// <param name="gatewaySettings">Extra environment of the gateway (configuration, e.g. <c>EtcdOrleans__Gateway__...</c>).</param>
    /// <param name="siloSettings">Extra environment of every silo (e.g. <c>EtcdOrleans__Snapshots__...</c>).</param>
    public LocalEtcdOrleans(IReadOnlyDictionary<string, string>? gatewaySettings = null, IReadOnlyDictionary<string, string>? siloSettings = null)
    {
        _gatewaySettings = gatewaySettings ?? new Dictionary<string, string>();
        _siloSettings = siloSettings ?? new Dictionary<string, string>();
        (_siloDll, _gatewayDll) = LocateBuildOutputs();
        Directory = System.IO.Directory.CreateTempSubdirectory("etcdorleans-");
        DataDirectory = Directory.CreateSubdirectory("data").FullName;
        _ports = LoopbackPorts.Allocate((2 * SiloCount) + 1);
        Endpoint = $"http://127.0.0.1:{_ports[^1].ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>Where the data and the process logs are.</summary>
    public DirectoryInfo Directory { get; }

    public string DataDirectory { get; }

    /// <summary>The gateway's client URL.</summary>
    public string Endpoint { get; }

    /// <summary>True when a start failed because another program took one of the chosen ports.</summary>
    public bool LostAPort => _silos.Append(_gateway).Any(p => p is not null && LoopbackPorts.IsAddressInUse(p.Output()));

    /// <summary>A new system, started (within <see cref="ReadyTimeout"/> per process): what every fault test begins with.</summary>
    public static async Task<LocalEtcdOrleans> StartNewAsync(IReadOnlyDictionary<string, string>? gatewaySettings = null, IReadOnlyDictionary<string, string>? siloSettings = null)
    {
        var system = new LocalEtcdOrleans(gatewaySettings, siloSettings);
        try
        {
            using var start = new CancellationTokenSource(ReadyTimeout);
            await system.StartAsync(start.Token);
            return system;
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts every silo (one at a time, each once the previous accepts connections) and the gateway.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _generation++;
        for (var i = 0; i < SiloCount; i++)
        {
            // One silo at a time: four processes starting at once on a loaded 2-core machine slow Orleans' joins.
            _silos[i] = StartDotnet($"silo{i}", _siloDll, SiloEnvironment(i));
            await WaitForListenerAsync(_ports[2 * i], cancellationToken);
        }

        var gateway = new Dictionary<string, string>(_gatewaySettings)
        {
            ["EtcdOrleans__DataDirectory"] = DataDirectory,
            ["EtcdOrleans__ListenUrls"] = Endpoint,
            ["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ",
        };
        _gateway = StartDotnet("gateway", _gatewayDll, gateway);
        await TargetProbe.WaitUntilAnswersAsync(Endpoint, ReadyTimeout, StartFailure, cancellationToken);
    }

    /// <summary>Kills silo <paramref name="index"/> at once (SIGKILL: no goodbye to the cluster).</summary>
    public async Task KillSiloAsync(int index)
    {
        if (_silos[index] is { } silo)
        {
            _silos[index] = null;
            await silo.DisposeAsync();
        }
    }

    /// <summary>Freezes silo <paramref name="index"/> (SIGSTOP): to its peers it looks alive but answers nothing.</summary>
    public void PauseSilo(int index) => _silos[index]?.Pause();

    /// <summary>Lets a paused silo run again (SIGCONT).</summary>
    public void ResumeSilo(int index) => _silos[index]?.Resume();

    /// <summary>Starts silo <paramref name="index"/> again (after <see cref="KillSiloAsync"/>) on its ports and data.</summary>
    public async Task RestartSiloAsync(int index)
    {
        await KillSiloAsync(index);
        _silos[index] = StartDotnet($"silo{index}-restart{++_restarts}", _siloDll, SiloEnvironment(index));
        using var start = new CancellationTokenSource(ReadyTimeout);
        await WaitForListenerAsync(_ports[2 * index], start.Token);
    }

    /// <summary>Kills every process; the data directory stays for the next <see cref="StartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_gateway is { } gateway)
        {
            _gateway = null;
            await gateway.DisposeAsync();
        }

        for (var i = 0; i < SiloCount; i++)
        {
            await KillSiloAsync(i);
        }
    }

    /// <summary>The index of the running silo whose log says it activated Raft replica <paramref name="replica"/>.</summary>
    public int? SiloHostingReplica(ulong replica)
    {
        var line = $"Replica {replica.ToString(CultureInfo.InvariantCulture)} activated";
        for (var i = 0; i < SiloCount; i++)
        {
            if (_silos[i] is { } silo && silo.Output().Contains(line, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();

        if (Environment.GetEnvironmentVariable(EtcdOrleansTarget.KeepDirectoryVariable) is not ("1" or "true"))
        {
            try
            {
                Directory.Delete(recursive: true);
            }
            catch (IOException)
            {
                // Best effort: the directory lives under the temp folder.
            }
        }
    }

    private Dictionary<string, string> SiloEnvironment(int index) => new(_siloSettings)
    {
        ["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ",
        ["EtcdOrleans__DataDirectory"] = DataDirectory,
        ["EtcdOrleans__Replicas"] = SiloCount.ToString(CultureInfo.InvariantCulture),
        ["EtcdOrleans__Ranges"] = "4",
        ["Orleans__SiloPort"] = _ports[2 * index].ToString(CultureInfo.InvariantCulture),
        ["Orleans__GatewayPort"] = _ports[(2 * index) + 1].ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>What every silo process this system ran, killed ones included, wrote to its standard output.</summary>
    public string AllSiloOutput() => string.Concat(
        System.IO.Directory.GetFiles(Directory.FullName, "silo*.out.log").Order(StringComparer.Ordinal).Select(File.ReadAllText));

    /// <summary>Waits until something accepts TCP connections on <paramref name="port"/>, or a process exits.</summary>
    private async Task WaitForListenerAsync(int port, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (true)
        {
            if (StartFailure() is { } failure)
            {
                throw new InvalidOperationException(failure);
            }

            using var client = new System.Net.Sockets.TcpClient();
            try
            {
                await client.ConnectAsync(System.Net.IPAddress.Loopback, port, cancellationToken);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    /// <summary>Null while every started process runs; otherwise what each one said last.</summary>
    private string? StartFailure()
    {
        var running = _silos.Append(_gateway).OfType<ChildProcess>().ToList();
        return running.Any(p => p.HasExited)
            ? $"EtcdOrleans did not start (a process exited). Logs in {Directory.FullName}:\n" +
              string.Join("\n", running.Select(p => p.Describe()))
            : null;
    }

    private ChildProcess StartDotnet(string name, string dll, IReadOnlyDictionary<string, string> environment) =>
        ChildProcess.Start($"{name}-{_generation.ToString(CultureInfo.InvariantCulture)}", DotnetHost, [dll], environment, Path.GetDirectoryName(dll)!, Directory);

    /// <summary>The dotnet host running the tests (the SDK sets DOTNET_HOST_PATH), else the one on PATH.</summary>
    private static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    private static (string Silo, string Gateway) LocateBuildOutputs()
    {
        var configuration = typeof(LocalEtcdOrleans).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var root = RepositoryRoot();
        var silo = Path.Combine(root, "Silo", "Host", "bin", configuration, "net10.0", "EtcdOrleans.Silo.dll");
        var gateway = Path.Combine(root, "Gateway", "bin", configuration, "net10.0", "EtcdOrleans.Gateway.dll");
        foreach (var dll in new[] { silo, gateway })
        {
            if (!File.Exists(dll))
            {
                throw new InvalidOperationException(
                    $"{dll} does not exist. Building the scenario tests builds it (they reference Silo/Host and Gateway); " +
                    $"build in the same configuration ({configuration}) as the tests.");
            }
        }

        return (silo, gateway);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EtcdOrleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No EtcdOrleans.sln above {AppContext.BaseDirectory}: cannot find the repository root.");
    }
}
