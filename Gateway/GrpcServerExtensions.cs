using System.Net;
using System.Security.Cryptography.X509Certificates;
using EtcdOrleans.Gateway.Diagnostics;
using EtcdOrleans.Gateway.Kv;
using EtcdOrleans.Gateway.Lease;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EtcdOrleans.Gateway;

/// <summary>
/// The gRPC server as etcd configures its own (v3rpc <c>grpc.go</c>, embed <c>serve.go</c>): message limits
/// from max-request-bytes, unlimited sends, a cap on concurrent streams per connection, logging and metrics
/// interceptors, and Kestrel listening on etcd's client URLs in cleartext HTTP/2 (h2c with prior knowledge, what
/// etcdctl and Go gRPC speak on http:// endpoints) or TLS.
/// </summary>
public static class GrpcServerExtensions
{
    /// <summary>Client URLs, comma separated, like etcd's --listen-client-urls.</summary>
    public const string ListenUrlsKey = "EtcdOrleans:ListenUrls";

    /// <summary>PEM certificate for client TLS (etcd's --cert-file).</summary>
    public const string TlsCertificatePathKey = "EtcdOrleans:Tls:CertificatePath";

    /// <summary>PEM private key for client TLS (etcd's --key-file).</summary>
    public const string TlsKeyPathKey = "EtcdOrleans:Tls:KeyPath";

    /// <summary>Where etcd listens for clients by default.</summary>
    public const string DefaultListenUrl = "http://127.0.0.1:2379";

    /// <summary>
    /// The protocols of cleartext endpoints. Kestrel cannot tell HTTP/1.1 from HTTP/2 prior knowledge on one
    /// cleartext port (with Http1AndHttp2 and no TLS it serves HTTP/1.1 only, and etcdctl fails), so cleartext
    /// endpoints are HTTP/2 only; TLS endpoints negotiate HTTP/1.1 or HTTP/2 by ALPN.
    /// </summary>
    public const HttpProtocols CleartextProtocols = HttpProtocols.Http2;

    /// <summary>Registers the gateway's gRPC server, its options, Kestrel endpoints, interceptors and metrics.</summary>
    public static WebApplicationBuilder AddEtcdGateway(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GatewayOptions>()
            .Bind(builder.Configuration.GetSection(GatewayOptions.SectionName))
            .Validate(o => o.MaxRequestBytes > 0 && o.MaxRequestBytes <= int.MaxValue - GatewayOptions.GrpcOverheadBytes, "MaxRequestBytes must be positive and leave room for the gRPC overhead.")
            .Validate(o => o.MaxTxnOps > 0, "MaxTxnOps must be positive.")
            .Validate(o => o.MaxConcurrentStreams > 0, "MaxConcurrentStreams must be positive.")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<GatewayMetrics>();
        services.TryAddSingleton<GrpcServerInterceptor>();
        services.TryAddSingleton<Rpc.BackendCalls>();

        services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<GrpcServerInterceptor>();
            grpc.MaxSendMessageSize = int.MaxValue;
            grpc.EnableDetailedErrors = false;
        });
        services.AddOptions<GrpcServiceOptions>()
            .Configure<IOptions<GatewayOptions>>((grpc, gateway) => grpc.MaxReceiveMessageSize = gateway.Value.TransportReceiveLimit);

        services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<GatewayOptions>>((kestrel, gateway) => ConfigureKestrel(kestrel, gateway.Value, builder.Configuration));

        return builder;
    }

    /// <summary>Maps etcd's gRPC services.</summary>
    public static WebApplication MapEtcdGrpcServices(this WebApplication app)
    {
        app.MapGrpcService<KvService>();
        app.MapGrpcService<LeaseService>();
        app.MapGrpcService<Watch.WatchService>();
        return app;
    }

    private static void ConfigureKestrel(KestrelServerOptions kestrel, GatewayOptions gateway, IConfiguration configuration)
    {
        kestrel.AddServerHeader = false;
        kestrel.Limits.Http2.MaxStreamsPerConnection = gateway.MaxConcurrentStreams;

        var certificate = LoadCertificate(configuration);
        kestrel.ConfigureEndpointDefaults(endpoint => endpoint.Protocols = CleartextProtocols);
        if (certificate is not null)
        {
            kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
        }

        var listenUrls = configuration[ListenUrlsKey];
        if (string.IsNullOrWhiteSpace(listenUrls))
        {
            if (HasHostUrls(configuration))
            {
                // ASPNETCORE_URLS, HTTP_PORTS or Kestrel:Endpoints (e.g. set by the AppHost) decide the endpoints.
                return;
            }

            listenUrls = DefaultListenUrl;
        }

        foreach (var url in listenUrls.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            Listen(kestrel, url, certificate);
        }
    }

    private static bool HasHostUrls(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[WebHostDefaults.ServerUrlsKey]) ||
        !string.IsNullOrWhiteSpace(configuration[WebHostDefaults.HttpPortsKey]) ||
        !string.IsNullOrWhiteSpace(configuration[WebHostDefaults.HttpsPortsKey]) ||
        configuration.GetSection("Kestrel:Endpoints").Exists();

    private static void Listen(KestrelServerOptions kestrel, string url, X509Certificate2? certificate)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new InvalidOperationException($"{ListenUrlsKey}: '{url}' is not an http:// or https:// URL.");
        }

        var tls = uri.Scheme == Uri.UriSchemeHttps;
        if (tls && certificate is null)
        {
            throw new InvalidOperationException($"{ListenUrlsKey}: '{url}' needs {TlsCertificatePathKey} and {TlsKeyPathKey}.");
        }

        void Configure(ListenOptions options)
        {
            if (tls)
            {
                options.Protocols = HttpProtocols.Http1AndHttp2;
                options.UseHttps(new HttpsConnectionAdapterOptions { ServerCertificate = certificate });
            }
            else
            {
                options.Protocols = CleartextProtocols;
            }
        }

        var host = uri.Host;
        if (host is "localhost")
        {
            kestrel.ListenLocalhost(uri.Port, Configure);
        }
        else if (host is "0.0.0.0" or "*" or "+" or "[::]" or "::")
        {
            kestrel.ListenAnyIP(uri.Port, Configure);
        }
        else if (IPAddress.TryParse(host, out var address))
        {
            kestrel.Listen(address, uri.Port, Configure);
        }
        else
        {
            throw new InvalidOperationException($"{ListenUrlsKey}: '{url}' must name an IP address, localhost or 0.0.0.0 (etcd also binds to addresses, not host names).");
        }
    }

    private static X509Certificate2? LoadCertificate(IConfiguration configuration)
    {
        var certificatePath = configuration[TlsCertificatePathKey];
        var keyPath = configuration[TlsKeyPathKey];
        if (string.IsNullOrWhiteSpace(certificatePath) && string.IsNullOrWhiteSpace(keyPath))
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(certificatePath) || string.IsNullOrWhiteSpace(keyPath))
        {
            throw new InvalidOperationException($"Client TLS needs both {TlsCertificatePathKey} and {TlsKeyPathKey}.");
        }

        return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
    }
}
