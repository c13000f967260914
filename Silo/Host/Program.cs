using EtcdOrleans.Silo;

var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
builder.AddEtcdOrleansSilo();
builder.Build().Run();
