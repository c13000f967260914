using EtcdOrleans.Gateway;
using EtcdOrleans.Gateway.Cluster;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddEtcdGateway();
builder.AddEtcdOrleansCluster();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapEtcdGrpcServices();
app.Run();
