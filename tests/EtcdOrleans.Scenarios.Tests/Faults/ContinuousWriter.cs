using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace EtcdOrleans.Scenarios.Tests.Faults;

/// <summary>
/// One client putting new keys back to back, as fast as answers come, remembering every acknowledged put with its
/// revision and when each attempt started. Failed puts are not acknowledged and are not retried.
/// </summary>
internal sealed class ContinuousWriter(EtcdClient client, string prefix)
{
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);
    private readonly ConcurrentQueue<(string Key, long Revision)> _acknowledged = new();
    private readonly ConcurrentQueue<(TimeSpan Started, TimeSpan Finished)> _successes = new();

    public string Prefix => prefix;

    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    public IReadOnlyCollection<(string Key, long Revision)> Acknowledged => _acknowledged;

    public int Failures { get; private set; }

    /// <summary>The member id (Raft replica) of the last acknowledgement's header.</summary>
    public ulong LastLeader { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; !cancellationToken.IsCancellationRequested; i++)
        {
            var key = prefix + i.ToString("D6", CultureInfo.InvariantCulture);
            var started = Clock.Elapsed;
            try
            {
                var put = await client.PutAsync(
                    new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8("v") },
                    deadline: DateTime.UtcNow + AttemptTimeout);
                _acknowledged.Enqueue((key, put.Header.Revision));
                LastLeader = put.Header.MemberId;
                _successes.Enqueue((started, Clock.Elapsed));
            }
            catch (Exception e) when (e is RpcException or HttpRequestException or OperationCanceledException or ObjectDisposedException)
            {
                Failures++;
                await Task.Delay(20, CancellationToken.None);
            }
        }
    }

    public async Task WaitForAcknowledgedAsync(int count, TimeSpan timeout)
    {
        var deadline = Clock.Elapsed + timeout;
        while (_acknowledged.Count < count)
        {
            Assert.True(Clock.Elapsed < deadline, $"only {_acknowledged.Count} of {count} puts acknowledged in {timeout.TotalSeconds} s ({Failures} failed)");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits for an acknowledged put that started after <paramref name="after"/>; returns when it was acknowledged.</summary>
    public async Task<TimeSpan> WaitForWriteAcknowledgedAfterAsync(TimeSpan after, TimeSpan timeout)
    {
        var deadline = Clock.Elapsed + timeout;
        while (true)
        {
            foreach (var (started, finished) in _successes)
            {
                if (started > after)
                {
                    return finished;
                }
            }

            Assert.True(Clock.Elapsed < deadline, $"no put succeeded in {timeout.TotalSeconds} s after the fault ({Failures} failed)");
            await Task.Delay(20);
        }
    }
}
