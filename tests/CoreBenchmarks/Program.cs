using BenchmarkDotNet.Running;
using EtcdOrleans.CoreBenchmarks;

// Usage:
//   dotnet run -c Release --project tests/CoreBenchmarks -- raft-throughput [options]
//   dotnet run -c Release --project tests/CoreBenchmarks -- logstore [options]
//   dotnet run -c Release --project tests/CoreBenchmarks -- bdn [BenchmarkDotNet arguments]
return args.FirstOrDefault() switch
{
    "raft-throughput" => RaftThroughputBenchmark.Run(args[1..]),
    "logstore" => await LogStoreBenchmark.RunAsync(args[1..]),
    "bdn" => RunBenchmarkDotNet(args[1..]),
    _ => Usage(),
};

static int RunBenchmarkDotNet(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: CoreBenchmarks (raft-throughput | logstore | bdn) [options]");
    return 2;
}
