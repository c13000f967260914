using System.Threading.Channels;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace EtcdOrleans.Scenarios.Tests.Support;

/// <summary>
/// One raw etcd Watch stream (etcd's own gRPC contract, as dotnet-etcd generates it), for scenarios that check every
/// response: created, events, canceled, progress. Responses are collected as they come; waits are bounded.
/// </summary>
public sealed class WatchStream : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<WatchRequest, WatchResponse> _call;
    private readonly Channel<WatchResponse> _responses = Channel.CreateUnbounded<WatchResponse>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    public WatchStream(string endpoint)
    {
        _channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
        _call = new Watch.WatchClient(_channel).Watch(cancellationToken: _stop.Token);
        _reading = ReadAsync();
    }

    public Task CreateAsync(WatchCreateRequest request) => _call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = request });

    /// <summary>Creates a watch and returns its created response.</summary>
    public async Task<WatchResponse> WatchAsync(ByteString key, ByteString? rangeEnd = null, long startRevision = 0, bool prevKv = false, long watchId = 0, params WatchCreateRequest.Types.FilterType[] filters)
    {
        await CreateAsync(new WatchCreateRequest { Key = key, RangeEnd = rangeEnd ?? ByteString.Empty, StartRevision = startRevision, PrevKv = prevKv, WatchId = watchId, Filters = { filters } });
        var created = await NextAsync();
        Assert.True(created.Created, $"expected a created response, got {created}");
        return created;
    }

    public Task CancelAsync(long watchId) => _call.RequestStream.WriteAsync(new WatchRequest { CancelRequest = new WatchCancelRequest { WatchId = watchId } });

    /// <summary>Closes the client's side of the stream (no more requests); responses keep coming.</summary>
    public Task CompleteRequestsAsync() => _call.RequestStream.CompleteAsync();

    public Task RequestProgressAsync() => _call.RequestStream.WriteAsync(new WatchRequest { ProgressRequest = new WatchProgressRequest() });

    /// <summary>The next response; fails the test if none comes in time.</summary>
    public async Task<WatchResponse> NextAsync(TimeSpan? wait = null)
    {
        using var timeout = new CancellationTokenSource(wait ?? Wait);
        try
        {
            return await _responses.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no watch response within {(wait ?? Wait).TotalSeconds} s");
        }
    }

    /// <summary>Responses until <paramref name="events"/> events have come (or more).</summary>
    public async Task<List<WatchResponse>> EventsAsync(int events)
    {
        var responses = new List<WatchResponse>();
        var count = 0;
        while (count < events)
        {
            var response = await NextAsync();
            responses.Add(response);
            count += response.Events.Count;
        }

        return responses;
    }

    /// <summary>Asserts that nothing more arrives for a moment.</summary>
    public async Task AssertQuietAsync(TimeSpan? forHowLong = null)
    {
        await Task.Delay(forHowLong ?? TimeSpan.FromMilliseconds(500));
        Assert.False(_responses.Reader.TryRead(out var extra), $"unexpected watch response: {extra}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException)
        {
            // Already gone.
        }

        await _stop.CancelAsync();
        try
        {
            await _reading;
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException)
        {
            // Cancelled by us.
        }

        _call.Dispose();
        _channel.Dispose();
        _stop.Dispose();
    }

    private async Task ReadAsync()
    {
        try
        {
            await foreach (var response in _call.ResponseStream.ReadAllAsync(_stop.Token))
            {
                _responses.Writer.TryWrite(response);
            }
        }
        finally
        {
            _responses.Writer.TryComplete();
        }
    }
}
