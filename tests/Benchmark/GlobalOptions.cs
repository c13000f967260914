namespace EtcdOrleans.Benchmark;

/// <summary>Flags shared by every workload, named as in etcd's benchmark tool.</summary>
public sealed record GlobalOptions(
    IReadOnlyList<string> Endpoints,
    int Conns,
    int Clients,
    bool Precise,
    string? JsonPath,
    bool NoProgress,
    string? Name,
    bool TargetLeader,
    TimeSpan? TimeLimit)
{
    public static GlobalOptions Read(CommandLine line)
    {
        var endpoints = line.GetString("endpoints", "127.0.0.1:2379")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var conns = line.GetInt("conns", 1);
        var clients = line.GetInt("clients", 1);
        var timeLimit = line.GetDouble("time-limit", 0);
        if (timeLimit < 0)
        {
            throw new UsageException("--time-limit must not be negative");
        }

        if (endpoints.Length == 0)
        {
            throw new UsageException("--endpoints must name at least one endpoint");
        }

        if (conns < 1 || clients < 1)
        {
            throw new UsageException("--conns and --clients must be positive");
        }

        return new GlobalOptions(
            endpoints,
            conns,
            clients,
            line.GetBool("precise"),
            line.GetOptionalString("json"),
            line.GetBool("no-progress"),
            line.GetOptionalString("name"),
            line.GetBool("target-leader"),
            timeLimit > 0 ? TimeSpan.FromSeconds(timeLimit) : null);
    }

    /// <summary>The name a report is filed under: <c>--name</c> if given, else the command (plus a suffix for sub-reports).</summary>
    public string ReportName(string command, string? suffix = null)
    {
        var baseName = Name ?? command;
        return suffix is null ? baseName : $"{baseName}-{suffix}";
    }
}
