using System.Runtime.CompilerServices;
using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;

namespace EtcdOrleans.Benchmark;

/// <summary><c>txn-put</c>: --total txns, each with --txn-ops puts (no compares) on consecutive key numbers.</summary>
public static class TxnPutCommand
{
    public static async Task<IReadOnlyList<BenchmarkStats>> RunAsync(WorkloadContext ctx)
    {
        var line = ctx.Line;
        var keySize = line.GetPositiveInt("key-size", 8);
        var valSize = line.GetInt("val-size", 8);
        var opsPerTxn = line.GetInt("txn-ops", 1);
        var total = line.GetPositiveInt("total", 10000);
        var keySpace = line.GetInt("key-space-size", 1);
        var pacer = Pacer.For(line.GetInt("rate", 0));
        line.EnsureAllUsed();
        Keys.Validate(keySize, keySpace);
        if (opsPerTxn < 1 || opsPerTxn > keySpace)
        {
            throw new UsageException($"expected --txn-ops between 1 and --key-space-size ({keySpace}), got ({opsPerTxn})");
        }

        await ctx.ConnectAsync();
        var value = ByteString.CopyFrom(Keys.RandomBytes(valSize));
        var workers = new IRequestWorker[ctx.Options.Clients];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = new TxnPutWorker(new KV.KVClient(ctx.Pool.ForClient(i)), keySize, keySpace, opsPerTxn, value);
        }

        var recorder = new ResultRecorder(total);
        var seconds = await ctx.RunAsync(workers, total, recorder, pacer);
        return [recorder.ToStats(ctx.Options.ReportName("txn-put"), 0, seconds)];
    }

    private sealed class TxnPutWorker : IRequestWorker
    {
        private readonly KV.KVClient _client;
        private readonly byte[][] _keys;
        private readonly long _keySpace;
        private readonly TxnRequest _request = new();

        public TxnPutWorker(KV.KVClient client, int keySize, long keySpace, int ops, ByteString value)
        {
            _client = client;
            _keySpace = keySpace;
            _keys = new byte[ops][];
            for (var j = 0; j < ops; j++)
            {
                _keys[j] = new byte[keySize];
                _request.Success.Add(new RequestOp
                {
                    RequestPut = new PutRequest { Key = UnsafeByteOperations.UnsafeWrap(_keys[j]), Value = value },
                });
            }
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        public async ValueTask ExecuteAsync(long index)
        {
            for (var j = 0; j < _keys.Length; j++)
            {
                Keys.Encode(_keys[j], ((index * _keys.Length) + j) % _keySpace);
            }

            await _client.TxnAsync(_request);
        }
    }
}
