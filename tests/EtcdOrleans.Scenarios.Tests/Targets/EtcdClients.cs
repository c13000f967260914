using dotnet_etcd;
using Grpc.Core;

namespace EtcdOrleans.Scenarios.Tests.Targets;

/// <summary>Creates dotnet-etcd clients the same way for every target.</summary>
public static class EtcdClients
{
    /// <summary>A plaintext (h2c) client for one client URL, able to receive large responses (16 MiB, or more if asked).</summary>
    public static EtcdClient Create(string endpoint, int maxReceiveBytes = 16 * 1024 * 1024) =>
        new(endpoint, configureChannelOptions: options =>
        {
            options.Credentials = ChannelCredentials.Insecure;
            options.MaxReceiveMessageSize = maxReceiveBytes;
            options.MaxSendMessageSize = 16 * 1024 * 1024;
        });

    /// <summary>
    /// A client that reports every failure instead of retrying it with gRPC's backoff: fault tests retry in their own
    /// loop, so what they measure is the server's outage, not the client's retry policy.
    /// </summary>
    public static EtcdClient CreateWithoutRetries(string endpoint) =>
        new(endpoint, configureChannelOptions: options =>
        {
            options.Credentials = ChannelCredentials.Insecure;
            options.ServiceConfig = null;
            options.MaxRetryAttempts = 1;
        });
}
