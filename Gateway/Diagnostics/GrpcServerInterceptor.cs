using EtcdOrleans.Gateway.Errors;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EtcdOrleans.Gateway.Diagnostics;

/// <summary>
/// Logs and counts every RPC, as etcd's logging and go-grpc-prometheus interceptors do: method, duration and
/// status; a warning for unary requests slower than <see cref="GatewayOptions.SlowRequestThreshold"/>. An
/// exception that is not a gRPC status is an unexpected failure: it is logged and sent as etcd sends unknown
/// errors (Unknown with its message), never as a stack trace.
/// </summary>
public sealed class GrpcServerInterceptor(
    GatewayMetrics metrics,
    ILogger<GrpcServerInterceptor> logger,
    IOptions<GatewayOptions> options,
    TimeProvider timeProvider) : Interceptor
{
    private const string Unary = "unary";
    private const string ClientStream = "client_stream";
    private const string ServerStream = "server_stream";
    private const string BidiStream = "bidi_stream";

    private readonly TimeSpan _slowRequestThreshold = options.Value.SlowRequestThreshold;
    private readonly int _maxReceiveMessageSize = options.Value.MaxReceiveMessageSize;

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var start = Begin(Unary, context);
        try
        {
            ThrowIfTooLarge(request);
            var response = await continuation(request, context).ConfigureAwait(false);
            End(Unary, context, start, StatusCode.OK);
            return response;
        }
        catch (Exception error)
        {
            throw Fail(Unary, context, start, error);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var start = Begin(ClientStream, context);
        try
        {
            var response = await continuation(requestStream, context).ConfigureAwait(false);
            End(ClientStream, context, start, StatusCode.OK);
            return response;
        }
        catch (Exception error)
        {
            throw Fail(ClientStream, context, start, error);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var start = Begin(ServerStream, context);
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
            End(ServerStream, context, start, StatusCode.OK);
        }
        catch (Exception error)
        {
            throw Fail(ServerStream, context, start, error);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var start = Begin(BidiStream, context);
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
            End(BidiStream, context, start, StatusCode.OK);
        }
        catch (Exception error)
        {
            throw Fail(BidiStream, context, start, error);
        }
    }

    /// <summary>
    /// etcd's receive limit, with grpc-go's own words (clients match on them): the transport lets messages up to
    /// <see cref="GatewayOptions.TransportReceiveLimit"/> through, and this check holds them to etcd's limit.
    /// </summary>
    private void ThrowIfTooLarge<TRequest>(TRequest request)
    {
        if (request is IMessage message && message.CalculateSize() is var size && size > _maxReceiveMessageSize)
        {
            throw new RpcException(new Status(
                StatusCode.ResourceExhausted,
                $"grpc: received message larger than max ({size} vs. {_maxReceiveMessageSize})"));
        }
    }

    private long Begin(string grpcType, ServerCallContext context)
    {
        metrics.Started(grpcType, context.Method);
        return timeProvider.GetTimestamp();
    }

    private void End(string grpcType, ServerCallContext context, long start, StatusCode code)
    {
        var elapsed = timeProvider.GetElapsedTime(start);
        metrics.Handled(grpcType, context.Method, code, elapsed);
        if (grpcType == Unary && elapsed >= _slowRequestThreshold && _slowRequestThreshold > TimeSpan.Zero)
        {
            GatewayLog.RequestTookTooLong(logger, context.Method, elapsed.TotalMilliseconds, _slowRequestThreshold.TotalMilliseconds, code);
        }
        else
        {
            GatewayLog.RequestFinished(logger, context.Method, code, elapsed.TotalMilliseconds);
        }
    }

    private RpcException Fail(string grpcType, ServerCallContext context, long start, Exception error)
    {
        var rpc = error switch
        {
            RpcException e => e,
            OperationCanceledException when context.CancellationToken.IsCancellationRequested =>
                new RpcException(new Status(StatusCode.Cancelled, "context canceled")),
            _ => Unexpected(context, error),
        };
        End(grpcType, context, start, rpc.StatusCode);
        return rpc;
    }

    private RpcException Unexpected(ServerCallContext context, Exception error)
    {
        GatewayLog.RequestFailed(logger, context.Method, error);
        return EtcdErrors.ToRpcException(error);
    }
}
