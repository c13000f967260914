using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace EtcdOrleans.Gateway.Diagnostics;

/// <summary>The gateway's log messages (source-generated).</summary>
internal static partial class GatewayLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "gRPC {Method} finished with {StatusCode} in {ElapsedMilliseconds} ms")]
    public static partial void RequestFinished(ILogger logger, string method, StatusCode statusCode, double elapsedMilliseconds);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "request took too long: {Method} took {ElapsedMilliseconds} ms, expected at most {ExpectedMilliseconds} ms, finished with {StatusCode}")]
    public static partial void RequestTookTooLong(ILogger logger, string method, double elapsedMilliseconds, double expectedMilliseconds, StatusCode statusCode);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "gRPC {Method} failed with an unexpected exception")]
    public static partial void RequestFailed(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Serving etcd clients with TLS, certificate {CertificatePath}")]
    public static partial void ServingTls(ILogger logger, string certificatePath);
}
