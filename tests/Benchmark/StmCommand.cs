using System.Runtime.CompilerServices;
using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;

namespace EtcdOrleans.Benchmark;

/// <summary>
/// <c>stm</c>: --total read-modify-write transactions in the manner of clientv3's STM. Each reads
/// --keys-per-txn distinct keys out of --keys, then writes --txn-wr-percent of them in one Txn
/// guarded by mod-revision compares; a failed guard retries the whole transaction. Isolation:
/// c (read committed: no guard), r (repeatable reads: each key's mod revision unchanged),
/// s (serializable: all reads at the first read's revision, no read key modified after it),
/// ss (serializable snapshot: s, and the written keys too).
/// </summary>
public static class StmCommand
{
    public static async Task<IReadOnlyList<BenchmarkStats>> RunAsync(WorkloadContext ctx)
    {
        var line = ctx.Line;
        var keys = line.GetInt("keys", 1);
        var keysPerTxn = line.GetInt("keys-per-txn", 1);
        var total = line.GetPositiveInt("total", 10000);
        var writePercent = line.GetInt("txn-wr-percent", 50);
        var valSize = line.GetInt("val-size", 8);
        var isolation = line.GetString("isolation", "r");
        var pacer = Pacer.For(line.GetInt("rate", 0));
        line.EnsureAllUsed();
        if (keys <= 0)
        {
            throw new UsageException($"expected positive --keys, got ({keys})");
        }

        if (keysPerTxn < 0 || keysPerTxn > keys)
        {
            throw new UsageException($"expected --keys-per-txn between 0 and {keys}, got ({keysPerTxn})");
        }

        if (writePercent is < 0 or > 100)
        {
            throw new UsageException($"expected [0, 100] --txn-wr-percent, got ({writePercent})");
        }

        if (isolation is not ("c" or "r" or "s" or "ss"))
        {
            throw new UsageException("--isolation must be c, r, s or ss");
        }

        await ctx.ConnectAsync();
        var workers = new StmWorker[ctx.Options.Clients];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = new StmWorker(new KV.KVClient(ctx.Pool.ForClient(i)), keys, keysPerTxn, writePercent, valSize, isolation, i);
        }

        var recorder = new ResultRecorder(total);
        var seconds = await ctx.RunAsync(workers, total, recorder, pacer);
        ctx.Output.WriteLine($"STM retries (failed guards): {workers.Sum(w => w.Retries)}");
        return [recorder.ToStats(ctx.Options.ReportName("stm"), 0, seconds)];
    }

    private sealed class StmWorker : IRequestWorker
    {
        private const int KeySize = 16;

        private readonly KV.KVClient _client;
        private readonly int _keyCount;
        private readonly int _writes;
        private readonly string _isolation;
        private readonly Random _random;
        private readonly long[] _chosen;
        private readonly ByteString[] _keys;
        private readonly long[] _modRevisions;
        private readonly byte[] _value;

        public StmWorker(KV.KVClient client, int keyCount, int keysPerTxn, int writePercent, int valSize, string isolation, int seed)
        {
            _client = client;
            _keyCount = keyCount;
            _writes = keysPerTxn * writePercent / 100;
            _isolation = isolation;
            _random = new Random(seed);
            _chosen = new long[keysPerTxn];
            _keys = new ByteString[keysPerTxn];
            _modRevisions = new long[keysPerTxn];
            _value = new byte[valSize];
        }

        public long Retries { get; private set; }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        public async ValueTask ExecuteAsync(long index)
        {
            ChooseKeys();
            while (!await TryOnceAsync())
            {
                Retries++;
            }
        }

        private void ChooseKeys()
        {
            for (var j = 0; j < _chosen.Length; j++)
            {
                long n;
                do
                {
                    n = _random.NextInt64(_keyCount);
                }
                while (Array.IndexOf(_chosen, n, 0, j) >= 0);
                _chosen[j] = n;
                var key = new byte[KeySize];
                Keys.Encode(key, n);
                _keys[j] = UnsafeByteOperations.UnsafeWrap(key);
            }
        }

        private async Task<bool> TryOnceAsync()
        {
            var snapshot = _isolation is "s" or "ss";
            long readRevision = 0;
            for (var j = 0; j < _keys.Length; j++)
            {
                var request = new RangeRequest { Key = _keys[j] };
                if (snapshot && readRevision > 0)
                {
                    request.Revision = readRevision;
                    request.Serializable = true;
                }

                var response = await _client.RangeAsync(request);
                if (readRevision == 0)
                {
                    readRevision = response.Header.Revision;
                }

                _modRevisions[j] = response.Kvs.Count > 0 ? response.Kvs[0].ModRevision : 0;
            }

            var txn = new TxnRequest();
            if (_isolation != "c")
            {
                for (var j = 0; j < _keys.Length; j++)
                {
                    // Every written key is also a read key, so "ss" adds no compare beyond "s" here.
                    txn.Compare.Add(snapshot
                        ? new Compare { Key = _keys[j], Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Less, ModRevision = readRevision + 1 }
                        : new Compare { Key = _keys[j], Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = _modRevisions[j] });
                }
            }

            for (var j = 0; j < _writes; j++)
            {
                _random.NextBytes(_value);
                txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = _keys[j], Value = ByteString.CopyFrom(_value) } });
            }

            var result = await _client.TxnAsync(txn);
            return result.Succeeded;
        }
    }
}
