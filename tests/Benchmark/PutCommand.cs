using System.Runtime.CompilerServices;
using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;

namespace EtcdOrleans.Benchmark;

/// <summary><c>put</c>: --total puts of --val-size values to keys drawn from --key-space-size, sequentially or at random.</summary>
public static class PutCommand
{
    public static async Task<IReadOnlyList<BenchmarkStats>> RunAsync(WorkloadContext ctx)
    {
        var line = ctx.Line;
        var keySize = line.GetPositiveInt("key-size", 8);
        var valSize = line.GetInt("val-size", 8);
        var total = line.GetPositiveInt("total", 10000);
        var keySpace = line.GetInt("key-space-size", 1);
        var sequential = line.GetBool("sequential-keys");
        var pacer = Pacer.For(line.GetInt("rate", 0));
        line.EnsureAllUsed();
        Keys.Validate(keySize, keySpace);

        await ctx.ConnectAsync();
        var value = ByteString.CopyFrom(Keys.RandomBytes(valSize));
        var workers = new IRequestWorker[ctx.Options.Clients];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = new PutWorker(new KV.KVClient(ctx.Pool.ForClient(i)), keySize, keySpace, sequential, value, i);
        }

        var recorder = new ResultRecorder(total);
        var seconds = await ctx.RunAsync(workers, total, recorder, pacer);
        return [recorder.ToStats(ctx.Options.ReportName("put"), 0, seconds)];
    }

    private sealed class PutWorker : IRequestWorker
    {
        private readonly KV.KVClient _client;
        private readonly byte[] _key;
        private readonly long _keySpace;
        private readonly bool _sequential;
        private readonly Random _random;
        private readonly PutRequest _request;

        public PutWorker(KV.KVClient client, int keySize, long keySpace, bool sequential, ByteString value, int seed)
        {
            _client = client;
            _key = new byte[keySize];
            _keySpace = keySpace;
            _sequential = sequential;
            _random = new Random(seed);

            // The request is reused: it is serialized before the response can arrive, so the
            // key buffer may change between calls.
            _request = new PutRequest { Key = UnsafeByteOperations.UnsafeWrap(_key), Value = value };
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        public async ValueTask ExecuteAsync(long index)
        {
            Keys.Encode(_key, _sequential ? index % _keySpace : _random.NextInt64(_keySpace));
            await _client.PutAsync(_request);
        }
    }
}
