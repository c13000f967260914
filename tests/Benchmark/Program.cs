using EtcdOrleans.Benchmark;

return await BenchmarkProgram.RunAsync(args);
