namespace EtcdOrleans.Benchmark;

/// <summary>Entry point: parse the command line, run one workload (or the report table), print as etcd's tool does.</summary>
public static class BenchmarkProgram
{
    public const string Usage = """
        etcd-bench: a load generator for etcd v3 endpoints (etcd, EtcdOrleans), modeled on etcd's benchmark tool.

        Usage: etcd-bench [global flags] <command> [command flags]

        Global flags:
          --endpoints a:p,b:p   gRPC endpoints (default 127.0.0.1:2379; http:// implied, https:// allowed)
          --conns N             gRPC connections (default 1)
          --clients N           concurrent clients spread over the connections (default 1)
          --target-leader       connect only to the leader's client URLs
          --precise             print full floating point precision
          --json PATH|-         also write a JSON summary (to stdout with -, text then goes to stderr)
          --name NAME           report name in the JSON summary (default: the command)
          --no-progress         no progress output
          --time-limit SECS     stop issuing requests after SECS seconds and report what completed (default: none)

        Commands:
          put              --total 10000 --key-size 8 --val-size 8 --key-space-size 1 --sequential-keys --rate 0
          range KEY [END]  --total 10000 --consistency l|s --rate 0
          txn-put          --total 10000 --key-size 8 --val-size 8 --txn-ops 1 --key-space-size 1 --rate 0
          txn-mixed        --total 10000 --rw-ratio 1 --key-size 8 --val-size 8 --key-space-size 1
                           --consistency l|s --limit 1000 --end-key '' --rate 0
          watch-latency    --put-total 1000 --put-rate 100 --streams 10 --watchers-per-stream 10
                           --key-size 32 --val-size 32 --prevkv
          watch-fanout     --keys 1000 --watchers-per-key 10 --streams 100 --put-total 10000 --put-rate 1000
                           --put-clients 10 --val-size 32
          watch-hold       --keys 1000 --watchers-per-key 10 --streams 100 --hold-seconds 15
          lease-keepalive  --total 10000
          stm              --total 10000 --keys 1 --keys-per-txn 1 --txn-wr-percent 50 --val-size 8
                           --isolation c|r|s|ss (default r) --rate 0
          report NAME=DIR [NAME=DIR ...]
                           table of the JSON summaries in each DIR, side by side, ratio to the first
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        CommandLine line;
        try
        {
            line = CommandLine.Parse(args);
            if (line.Command is "" or "help" || line.GetBool("help"))
            {
                Console.WriteLine(Usage);
                return line.Command == "" ? 2 : 0;
            }

            if (line.Command == "report")
            {
                line.EnsureAllUsed();
                ComparisonReport.Print(line.Positional, Console.Out);
                return 0;
            }

            return await RunWorkloadAsync(line, args);
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync("Error: " + e.Message);
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }
    }

    private static async Task<int> RunWorkloadAsync(CommandLine line, string[] args)
    {
        var options = GlobalOptions.Read(line);
        Func<WorkloadContext, Task<IReadOnlyList<BenchmarkStats>>> workload = line.Command switch
        {
            "put" => PutCommand.RunAsync,
            "range" => RangeCommand.RunAsync,
            "txn-put" => TxnPutCommand.RunAsync,
            "txn-mixed" => TxnMixedCommand.RunAsync,
            "watch-latency" => WatchLatencyCommand.RunAsync,
            "watch-fanout" => WatchFanoutCommand.RunAsync,
            "watch-hold" => WatchHoldCommand.RunAsync,
            "lease-keepalive" => LeaseKeepAliveCommand.RunAsync,
            "stm" => StmCommand.RunAsync,
            _ => throw new UsageException($"unknown command '{line.Command}'"),
        };

        var output = options.JsonPath == "-" ? Console.Error : Console.Out;
        IReadOnlyList<BenchmarkStats> reports;
        try
        {
            using var context = new WorkloadContext(line, options, output);
            reports = await workload(context);
        }
        catch (Exception e) when (e is not UsageException)
        {
            // A failure outside the measured requests (connecting, granting leases, watch setup): no report.
            await Console.Error.WriteLineAsync($"Error: {line.Command} failed: {LoadRunner.Describe(e)}");
            return 1;
        }

        foreach (var r in reports)
        {
            if (reports.Count > 1)
            {
                output.WriteLine();
                output.WriteLine(r.Workload + ":");
            }

            output.Write(TextReport.Format(r, options.Precise));
        }

        output.Flush();
        if (options.JsonPath is not null)
        {
            JsonSummary.Write(options.JsonPath, line.Command, args, options, reports);
        }

        return reports.All(r => r.Count > 0) ? 0 : 1;
    }
}
