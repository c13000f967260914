using System.Runtime.CompilerServices;
using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;

namespace EtcdOrleans.Benchmark;

/// <summary>
/// <c>txn-mixed</c>: --total single-op txns, each a read (a range over the whole key space, or up to
/// --end-key, at most --limit keys) with probability rw/(1+rw), else a put; reads and writes are
/// reported separately.
/// </summary>
public static class TxnMixedCommand
{
    private const int ReadReport = 0;
    private const int WriteReport = 1;

    public static async Task<IReadOnlyList<BenchmarkStats>> RunAsync(WorkloadContext ctx)
    {
        var line = ctx.Line;
        var keySize = line.GetPositiveInt("key-size", 8);
        var valSize = line.GetInt("val-size", 8);
        var total = line.GetPositiveInt("total", 10000);
        var keySpace = line.GetInt("key-space-size", 1);
        var ratio = line.GetDouble("rw-ratio", 1);
        var limit = line.GetInt("limit", 1000);
        var endKey = line.GetString("end-key", string.Empty);
        var consistency = WorkloadContext.ParseConsistency(line.GetString("consistency", "l"));
        var pacer = Pacer.For(line.GetInt("rate", 0));
        line.EnsureAllUsed();
        Keys.Validate(keySize, keySpace);

        await ctx.ConnectAsync();
        ctx.Output.WriteLine(consistency == "l" ? "bench with linearizable range" : "bench with serializable range");
        var value = ByteString.CopyFrom(Keys.RandomBytes(valSize));

        // Reads cover every key (key "\0", range_end "\0": clientv3's prefix of "") as etcd's tool's do;
        // --end-key, when given, bounds them.
        var read = new TxnRequest();
        read.Success.Add(new RequestOp
        {
            RequestRange = new RangeRequest
            {
                Key = ByteString.CopyFrom(0),
                RangeEnd = endKey.Length > 0 ? ByteString.CopyFromUtf8(endKey) : ByteString.CopyFrom(0),
                Limit = limit,
                Serializable = consistency == "s",
            },
        });
        var readProbability = ratio / (1 + ratio);
        var workers = new TxnMixedWorker[ctx.Options.Clients];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = new TxnMixedWorker(new KV.KVClient(ctx.Pool.ForClient(i)), read, keySize, keySpace, value, readProbability, i);
        }

        var recorder = new ResultRecorder(total, reports: 2);
        var seconds = await ctx.RunAsync(workers, total, recorder, pacer);
        var reads = recorder.ToStats(ctx.Options.ReportName("txn-mixed", "read"), ReadReport, seconds);
        var writes = recorder.ToStats(ctx.Options.ReportName("txn-mixed", "write"), WriteReport, seconds);
        ctx.Output.WriteLine($"Total Read Ops: {reads.Count + reads.ErrorCount}");
        ctx.Output.WriteLine($"Total Write Ops: {writes.Count + writes.ErrorCount}");
        return [reads, writes];
    }

    private sealed class TxnMixedWorker : IRequestWorker
    {
        private readonly KV.KVClient _client;
        private readonly TxnRequest _read;
        private readonly TxnRequest _write = new();
        private readonly byte[] _key;
        private readonly long _keySpace;
        private readonly double _readProbability;
        private readonly Random _random;

        public TxnMixedWorker(KV.KVClient client, TxnRequest read, int keySize, long keySpace, ByteString value, double readProbability, int seed)
        {
            _client = client;
            _read = read;
            _key = new byte[keySize];
            _keySpace = keySpace;
            _readProbability = readProbability;
            _random = new Random(seed);
            _write.Success.Add(new RequestOp
            {
                RequestPut = new PutRequest { Key = UnsafeByteOperations.UnsafeWrap(_key), Value = value },
            });
        }

        public int CurrentReport { get; private set; }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        public async ValueTask ExecuteAsync(long index)
        {
            if (_random.NextDouble() < _readProbability)
            {
                CurrentReport = ReadReport;
                await _client.TxnAsync(_read);
            }
            else
            {
                CurrentReport = WriteReport;
                Keys.Encode(_key, index % _keySpace);
                await _client.TxnAsync(_write);
            }
        }
    }
}
