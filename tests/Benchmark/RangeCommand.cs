using System.Runtime.CompilerServices;
using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;

namespace EtcdOrleans.Benchmark;

/// <summary><c>range key [end]</c>: --total identical range reads, linearizable (l) or serializable (s).</summary>
public static class RangeCommand
{
    public static async Task<IReadOnlyList<BenchmarkStats>> RunAsync(WorkloadContext ctx)
    {
        var line = ctx.Line;
        var total = line.GetPositiveInt("total", 10000);
        var consistency = WorkloadContext.ParseConsistency(line.GetString("consistency", "l"));
        var pacer = Pacer.For(line.GetInt("rate", 0));
        line.EnsureAllUsed();
        if (line.Positional.Count is < 1 or > 2)
        {
            throw new UsageException("range needs a key and an optional end key");
        }

        await ctx.ConnectAsync();
        ctx.Output.WriteLine(consistency == "l" ? "bench with linearizable range" : "bench with serializable range");
        var request = new RangeRequest
        {
            Key = ByteString.CopyFromUtf8(line.Positional[0]),
            RangeEnd = line.Positional.Count == 2 ? ByteString.CopyFromUtf8(line.Positional[1]) : ByteString.Empty,
            Serializable = consistency == "s",
        };
        var workers = new IRequestWorker[ctx.Options.Clients];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = new RangeWorker(new KV.KVClient(ctx.Pool.ForClient(i)), request);
        }

        var recorder = new ResultRecorder(total);
        var seconds = await ctx.RunAsync(workers, total, recorder, pacer);
        return [recorder.ToStats(ctx.Options.ReportName("range"), 0, seconds)];
    }

    private sealed class RangeWorker(KV.KVClient client, RangeRequest request) : IRequestWorker
    {
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        public async ValueTask ExecuteAsync(long index) => await client.RangeAsync(request);
    }
}
