using System.Globalization;
using Microsoft.Extensions.Configuration;

// EtcdOrleans on one machine: N silos (default 3) that host the Raft replicas and MVCC range grains, and one
// stateless gateway that speaks etcd's v3 API on 127.0.0.1:2379. Settings (appsettings.json, environment, or
// `dotnet run --project AppHost -- --EtcdOrleans:ClientPort=2479`):
//   EtcdOrleans:DataDirectory   where all durable state lives (default: .data/ beside the repository root)
//   EtcdOrleans:Silos           silo processes (default 3)
//   EtcdOrleans:Replicas        Raft replicas = etcd members (default 3)
//   EtcdOrleans:Ranges          MVCC range grains (default 4)
//   EtcdOrleans:ClientPort      the gateway's etcd port (default 2379)
var builder = DistributedApplication.CreateBuilder(args);

var settings = builder.Configuration.GetSection("EtcdOrleans");
var dataDirectory = Path.GetFullPath(settings["DataDirectory"] ?? Path.Combine(builder.AppHostDirectory, "..", ".data"));
var siloCount = settings.GetValue("Silos", 3);
var replicas = settings.GetValue("Replicas", 3);
var ranges = settings.GetValue("Ranges", 4);
var clientPort = settings.GetValue("ClientPort", 2379);
const int firstSiloPort = 11111;
const int firstOrleansGatewayPort = 30000;

var silos = new List<IResourceBuilder<ProjectResource>>();
for (var i = 0; i < siloCount; i++)
{
    silos.Add(builder.AddProject<Projects.EtcdOrleans_Silo>($"silo{i}")
        .WithEnvironment("EtcdOrleans__DataDirectory", dataDirectory)
        .WithEnvironment("EtcdOrleans__Replicas", replicas.ToString(CultureInfo.InvariantCulture))
        .WithEnvironment("EtcdOrleans__Ranges", ranges.ToString(CultureInfo.InvariantCulture))
        .WithEnvironment("Orleans__SiloPort", (firstSiloPort + i).ToString(CultureInfo.InvariantCulture))
        .WithEnvironment("Orleans__GatewayPort", (firstOrleansGatewayPort + i).ToString(CultureInfo.InvariantCulture)));
}

var gateway = builder.AddProject<Projects.EtcdOrleans_Gateway>("gateway")
    .WithEnvironment("EtcdOrleans__DataDirectory", dataDirectory)
    .WithEnvironment("EtcdOrleans__ListenUrls", $"http://127.0.0.1:{clientPort.ToString(CultureInfo.InvariantCulture)}")
    .WithEndpoint("etcd", endpoint =>
    {
        endpoint.Port = clientPort;
        endpoint.TargetPort = clientPort;
        endpoint.IsProxied = false;
        endpoint.UriScheme = "http";
        endpoint.Transport = "http2";
    });
foreach (var silo in silos)
{
    gateway.WaitForStart(silo);
}

builder.Build().Run();
