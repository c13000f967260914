using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace EtcdOrleans.Scenarios.Tests.Targets;

/// <summary>Waits until a freshly started target answers a KV Range.</summary>
internal static class TargetProbe
{
    /// <param name="endpoint">Client URL of the target.</param>
    /// <param name="timeout">How long to keep trying.</param>
    /// <param name="startFailure">Returns a description when the target died while starting (then waiting stops).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public static async Task WaitUntilAnswersAsync(
        string endpoint, TimeSpan timeout, Func<string?> startFailure, CancellationToken cancellationToken)
    {
        using var client = EtcdClients.Create(endpoint);
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (startFailure() is { } failure)
            {
                throw new InvalidOperationException(failure);
            }

            try
            {
                var request = new RangeRequest { Key = ByteString.CopyFromUtf8("scenario-probe"), Serializable = false };
                await client.GetAsync(request, deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken);
                return;
            }
            catch (Exception e) when (e is RpcException or HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                last = e;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"{endpoint} did not answer a Range within {timeout.TotalSeconds} s: {last?.Message}", last);
    }
}
