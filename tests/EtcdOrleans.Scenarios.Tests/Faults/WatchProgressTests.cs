using EtcdOrleans.Scenarios.Tests.Support;
using EtcdOrleans.Scenarios.Tests.Targets;
using Etcdserverpb;
using Google.Protobuf;

namespace EtcdOrleans.Scenarios.Tests.Faults;

/// <summary>
/// progress_notify with a short interval (etcd's --experimental-watch-progress-notify-interval; here the gateway's
/// WatchProgressNotifyInterval): an idle synced watch is told the current revision each interval; a watch without
/// progress_notify is told nothing. Its own system, because the interval is a gateway setting.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class WatchProgressTests
{
    [Fact]
    public async Task AnIdleWatchWithProgressNotifyIsToldTheRevisionEachInterval()
    {
        await using var system = await LocalEtcdOrleans.StartNewAsync(new Dictionary<string, string>
        {
            ["EtcdOrleans__Gateway__WatchProgressNotifyInterval"] = "00:00:01",
        });
        using var client = EtcdClients.Create(system.Endpoint);
        var revision = (await client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("/progress/other"), Value = ByteString.CopyFromUtf8("v") })).Header.Revision;
        await using var watch = new WatchStream(system.Endpoint);
        await watch.CreateAsync(new WatchCreateRequest { Key = ByteString.CopyFromUtf8("/progress/k"), ProgressNotify = true });
        Assert.True((await watch.NextAsync()).Created);
        await watch.CreateAsync(new WatchCreateRequest { Key = ByteString.CopyFromUtf8("/progress/quiet") });
        Assert.True((await watch.NextAsync()).Created);

        var first = await watch.NextAsync(TimeSpan.FromSeconds(10));
        var second = await watch.NextAsync(TimeSpan.FromSeconds(10));

        Assert.All(new[] { first, second }, p => Assert.Equal((0L, 0, false, revision), (p.WatchId, p.Events.Count, p.Canceled, p.Header.Revision)));
    }
}
