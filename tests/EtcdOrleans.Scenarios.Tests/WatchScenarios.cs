using EtcdOrleans.Scenarios.Tests.Support;
using EtcdOrleans.Scenarios.Tests.Targets;
using Etcdserverpb;
using Google.Protobuf;
using Mvccpb;

namespace EtcdOrleans.Scenarios.Tests;

/// <summary>
/// The Watch service, response by response: created before events, one response per revision (a txn's events in op
/// order, a delete range's in key order), prev_kv, filters, history replay from a start revision, compacted starts,
/// client-chosen and duplicate ids, empty ranges, cancel, RequestProgress, lease revocations, large values.
/// </summary>
public abstract class WatchScenarios(EtcdTargetFixture fixture)
{
    private static readonly Event.Types.EventType Put = Event.Types.EventType.Put;
    private static readonly Event.Types.EventType Delete = Event.Types.EventType.Delete;

    [Fact]
    public async Task AWatchIsCreatedAtTheCurrentRevisionThenGetsOneResponsePerPut()
    {
        var s = await fixture.BeginAsync();
        await using var watch = new WatchStream(s.Target.Endpoint);

        var created = await watch.WatchAsync(s.K("k"));
        Assert.Equal((0L, true, false, s.Baseline), (created.WatchId, created.Created, created.Canceled, created.Header.Revision));
        Assert.Empty(created.Events);

        await s.PutAsync("k", "v1");
        await s.PutAsync("k", "v2");
        await s.PutAsync("other", "x");
        var first = await watch.NextAsync();
        var second = await watch.NextAsync();

        AssertEvent(s, Assert.Single(first.Events), Put, "k", "v1", create: 1, mod: 1, version: 1);
        AssertEvent(s, Assert.Single(second.Events), Put, "k", "v2", create: 1, mod: 2, version: 2);
        Assert.Equal((s.Rev(1), s.Rev(2)), (first.Header.Revision, second.Header.Revision));
        Assert.Equal((0L, 0L), (first.WatchId, second.WatchId));
        Assert.All(new[] { first, second }, r => Assert.False(r.Created || r.Canceled));
        Assert.NotEqual(0UL, first.Header.ClusterId);
        await watch.AssertQuietAsync();
    }

    [Fact]
    public async Task APrefixWatchGetsATxnsEventsInOneResponseAndADeleteRangesInKeyOrder()
    {
        var s = await fixture.BeginAsync();
        await using var watch = new WatchStream(s.Target.Endpoint);
        await watch.WatchAsync(s.K("dir/"), Bytes.PrefixEnd(s.K("dir/")));

        await s.Client.TransactionAsync(Ops.Txn([], [s.Put("dir/c", "3"), s.Put("dir/a", "1"), s.Put("dir/b", "2")]));
        await s.Client.DeleteAsync(new DeleteRangeRequest { Key = s.K("dir/"), RangeEnd = Bytes.PrefixEnd(s.K("dir/")) });

        var txn = await watch.NextAsync();
        Assert.Equal(["dir/c", "dir/a", "dir/b"], txn.Events.Select(e => Name(s, e)));
        Assert.All(txn.Events, e => Assert.Equal((Put, s.Rev(1)), (e.Type, e.Kv.ModRevision)));
        var delete = await watch.NextAsync();
        Assert.Equal(["dir/a", "dir/b", "dir/c"], delete.Events.Select(e => Name(s, e)));
        Assert.All(delete.Events, e => AssertEvent(s, e, Delete, Name(s, e), "", create: 0, mod: 2, version: 0));
        Assert.Equal(s.Rev(2), delete.Header.Revision);
    }

    [Fact]
    public async Task PrevKvCarriesThePreviousValueButNotForACreate()
    {
        var s = await fixture.BeginAsync();
        await using var watch = new WatchStream(s.Target.Endpoint);
        await watch.WatchAsync(s.K("k"), prevKv: true);

        await s.PutAsync("k", "v1");
        await s.PutAsync("k", "v2");
        await s.Client.DeleteAsync(new DeleteRangeRequest { Key = s.K("k") });
        var responses = await watch.EventsAsync(3);
        var events = responses.SelectMany(r => r.Events).ToList();

        Assert.Null(events[0].PrevKv);
        Assert.Equal(("v1", s.Rev(1)), (events[1].PrevKv.Value.ToStringUtf8(), events[1].PrevKv.ModRevision));
        Assert.Equal((Delete, "v2", 2L), (events[2].Type, events[2].PrevKv.Value.ToStringUtf8(), events[2].PrevKv.Version));
    }

    [Fact]
    public async Task FiltersDropPutsOrDeletes_AndAResponseWithNothingLeftIsNotSent()
    {
        var s = await fixture.BeginAsync();
        await using var watch = new WatchStream(s.Target.Endpoint);
        await watch.WatchAsync(s.K("k"), filters: WatchCreateRequest.Types.FilterType.Noput);
        await watch.WatchAsync(s.K("k"), filters: WatchCreateRequest.Types.FilterType.Nodelete);

        await s.PutAsync("k", "v");
        await s.Client.DeleteAsync(new DeleteRangeRequest { Key = s.K("k") });
        var first = await watch.NextAsync();
        var second = await watch.NextAsync();

        // Watch 1 keeps the put only, watch 0 the delete only.
        Assert.Equal((1L, Put, 0L, Delete), (first.WatchId, Assert.Single(first.Events).Type, second.WatchId, Assert.Single(second.Events).Type));
        await watch.AssertQuietAsync();
    }

    [Fact]
    public async Task AStartRevisionInThePastReplaysHistoryThenGoesLive()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("k", "v1");
        await s.PutAsync("k", "v2");
        await s.Client.DeleteAsync(new DeleteRangeRequest { Key = s.K("k") });
        await using var watch = new WatchStream(s.Target.Endpoint);

        var created = await watch.WatchAsync(s.K("k"), startRevision: s.Rev(1), prevKv: true);
        Assert.Equal(s.Rev(3), created.Header.Revision);
        var history = await watch.EventsAsync(3);
        await s.PutAsync("k", "v3");
        var live = await watch.NextAsync();

        var events = history.SelectMany(r => r.Events).ToList();
        Assert.Equal([(Put, "v1"), (Put, "v2"), (Delete, "")], events.Select(e => (e.Type, e.Kv.Value.ToStringUtf8())));
        Assert.Equal(["", "v1", "v2"], events.Select(e => e.PrevKv?.Value.ToStringUtf8() ?? ""));
        AssertEvent(s, Assert.Single(live.Events), Put, "k", "v3", create: 4, mod: 4, version: 1);
        Assert.Equal(s.Rev(4), live.Header.Revision);
    }

    [Fact]
    public async Task AStartRevisionBelowTheCompactionIsCreatedThenCanceledWithTheCompactRevision()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("k", "v1");
        await s.PutAsync("k", "v2");
        await s.Client.CompactAsync(new CompactionRequest { Revision = s.Rev(2) });
        await using var watch = new WatchStream(s.Target.Endpoint);

        var created = await watch.WatchAsync(s.K("k"), startRevision: s.Rev(1));
        var canceled = await watch.NextAsync();

        Assert.False(created.Canceled);
        Assert.Equal((created.WatchId, true, s.Rev(2)), (canceled.WatchId, canceled.Canceled, canceled.CompactRevision));
        Assert.Empty(canceled.Events);
        Assert.Equal(0, canceled.Header.Revision);
    }

    [Fact]
    public async Task ClientChosenIdsAreKept_ADuplicateIsRefused_AndAnEmptyRangeIsRefused()
    {
        var s = await fixture.BeginAsync();
        await using var watch = new WatchStream(s.Target.Endpoint);

        var chosen = await watch.WatchAsync(s.K("a"), watchId: 7);
        var duplicate = await watch.WatchAsync(s.K("b"), watchId: 7);
        var auto = await watch.WatchAsync(s.K("c"));
        var empty = await watch.WatchAsync(s.K("z"), s.K("a"));

        Assert.Equal((7L, false), (chosen.WatchId, chosen.Canceled));
        Assert.Equal((-1L, true, "mvcc: duplicate watch ID provided on the WatchStream"), (duplicate.WatchId, duplicate.Canceled, duplicate.CancelReason));
        Assert.Equal(0L, auto.WatchId);
        Assert.Equal((-1L, true, "mvcc: watcher range is empty"), (empty.WatchId, empty.Canceled, empty.CancelReason));
        Assert.Equal(s.Baseline, empty.Header.Revision);
    }

    [Fact]
    public async Task CancelIsAnsweredAndEndsTheEvents_AnUnknownIdGetsNoAnswer()
    {
        var s = await fixture.BeginAsync();
        await using var watch = new WatchStream(s.Target.Endpoint);
        var created = await watch.WatchAsync(s.K("k"));
        await s.PutAsync("k", "v1");
        Assert.Single((await watch.NextAsync()).Events);

        await watch.CancelAsync(created.WatchId);
        var canceled = await watch.NextAsync();
        await watch.CancelAsync(12345);
        await s.PutAsync("k", "v2");

        Assert.Equal((created.WatchId, true, false), (canceled.WatchId, canceled.Canceled, canceled.Created));
        Assert.Equal(s.Rev(1), canceled.Header.Revision);
        await watch.AssertQuietAsync();
    }

    [Fact]
    public async Task AClientThatClosesItsSideOfTheStreamStillGetsEvents()
    {
        var s = await fixture.BeginAsync();
        await using var watch = new WatchStream(s.Target.Endpoint);
        await watch.WatchAsync(s.K("k"));

        await watch.CompleteRequestsAsync();
        await s.PutAsync("k", "v");

        AssertEvent(s, Assert.Single((await watch.NextAsync()).Events), Put, "k", "v", create: 1, mod: 1, version: 1);
    }

    [Fact]
    public async Task RequestProgressAnswersWithTheCurrentRevisionAndNoWatchId()
    {
        var s = await fixture.BeginAsync();
        await using var watch = new WatchStream(s.Target.Endpoint);
        await watch.WatchAsync(s.K("k"));
        await s.PutAsync("other", "v");

        await watch.RequestProgressAsync();
        var progress = await watch.NextAsync();

        Assert.Equal((-1L, false, false, 0), (progress.WatchId, progress.Created, progress.Canceled, progress.Events.Count));
        Assert.Equal(s.Rev(1), progress.Header.Revision);
    }

    [Fact]
    public async Task ManyWatchesOnOneStreamEachGetTheirOwnKeys()
    {
        var s = await fixture.BeginAsync();
        await using var watch = new WatchStream(s.Target.Endpoint);
        for (var i = 0; i < 20; i++)
        {
            await watch.WatchAsync(s.K($"k{i:D2}"));
        }

        await watch.WatchAsync(s.K(""), Bytes.PrefixEnd(s.K("")));
        for (var i = 0; i < 20; i++)
        {
            await s.PutAsync($"k{i:D2}", $"v{i}");
        }

        var responses = await watch.EventsAsync(40);
        Assert.Equal(40, responses.Sum(r => r.Events.Count));
        for (var i = 0; i < 20; i++)
        {
            var mine = responses.Where(r => r.WatchId == i).SelectMany(r => r.Events).ToList();
            Assert.Equal($"k{i:D2}", Name(s, Assert.Single(mine)));
        }

        Assert.Equal(Enumerable.Range(1, 20).Select(i => s.Rev(i)), responses.Where(r => r.WatchId == 20).SelectMany(r => r.Events).Select(e => e.Kv.ModRevision));
    }

    [Fact]
    public async Task RevokingALeaseDeletesItsKeysInOneRevision()
    {
        var s = await fixture.BeginAsync();
        var lease = await s.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = 300 });
        await s.PutAsync("a", "1", lease.ID);
        await s.PutAsync("b", "2", lease.ID);
        await using var watch = new WatchStream(s.Target.Endpoint);
        await watch.WatchAsync(s.K(""), Bytes.PrefixEnd(s.K("")));

        await s.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease.ID });
        var revoked = await watch.NextAsync();

        Assert.Equal(["a", "b"], revoked.Events.Select(e => Name(s, e)).Order());
        Assert.All(revoked.Events, e => Assert.Equal((Delete, s.Rev(3)), (e.Type, e.Kv.ModRevision)));
    }

    [Fact]
    public async Task AMebibyteValueArrivesWhole()
    {
        var s = await fixture.BeginAsync();
        await using var watch = new WatchStream(s.Target.Endpoint);
        await watch.WatchAsync(s.K("big"));
        var value = new byte[1024 * 1024];
        new Random(5).NextBytes(value);

        await s.Client.PutAsync(new PutRequest { Key = s.K("big"), Value = ByteString.CopyFrom(value) });
        var response = await watch.NextAsync();

        Assert.Equal(value, Assert.Single(response.Events).Kv.Value.ToByteArray());
    }

    [Fact]
    public async Task AReplayLargerThanTheRequestLimitComesInFragmentsWhenAskedFor()
    {
        var s = await fixture.BeginAsync();
        var values = Enumerable.Range(0, 3).Select(i => new byte[1024 * 1024]).ToArray();
        for (var i = 0; i < values.Length; i++)
        {
            new Random(20 + i).NextBytes(values[i]);
            await s.Client.PutAsync(new PutRequest { Key = s.K($"f{i}"), Value = ByteString.CopyFrom(values[i]) });
        }

        await using var watch = new WatchStream(s.Target.Endpoint);
        await watch.CreateAsync(new WatchCreateRequest { Key = s.K("f"), RangeEnd = Bytes.PrefixEnd(s.K("f")), StartRevision = s.Rev(1), Fragment = true });
        Assert.True((await watch.NextAsync()).Created);
        var pieces = await watch.EventsAsync(3);

        // No piece over the 1.5 MiB limit holds more than one 1 MiB event; a fragmented response is continued by the
        // next; the replay may come as one fragmented response (etcd) or as several (pages of history).
        Assert.All(pieces, p => Assert.Single(p.Events));
        Assert.Contains(pieces, p => p.Fragment);
        Assert.False(pieces[^1].Fragment);
        Assert.Equal(values, pieces.SelectMany(p => p.Events).Select(e => e.Kv.Value.ToByteArray()));
    }

    [Fact]
    public async Task AClientThatReadsSlowlyGetsEveryEventInOrder()
    {
        var s = await fixture.BeginAsync();
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(s.Target.Endpoint, new Grpc.Net.Client.GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
        using var call = new Watch.WatchClient(channel).Watch();
        await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = s.K("k") } });

        // Not reading while 3,000 events of 4 KiB pile up: more than any transport window or server queue holds.
        var value = ByteString.CopyFrom(new byte[4096]);
        const int Puts = 3000;
        await Task.WhenAll(Enumerable.Range(0, 10).Select(async c =>
        {
            for (var i = c; i < Puts; i += 10)
            {
                await s.Client.PutAsync(new PutRequest { Key = s.K("k"), Value = value });
            }
        }));

        var revisions = new List<long>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (revisions.Count < Puts && await call.ResponseStream.MoveNext(timeout.Token))
        {
            revisions.AddRange(call.ResponseStream.Current.Events.Select(e => e.Kv.ModRevision));
        }

        Assert.Equal(Enumerable.Range(1, Puts).Select(i => s.Rev(i)), revisions);
    }

    [Fact]
    public async Task EtcdctlWatchReplaysFromARevisionWithPrevKvAndWatchesAPrefix()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("dir/a", "1");
        await s.PutAsync("dir/a", "2");
        await s.Client.DeleteAsync(new DeleteRangeRequest { Key = s.K("dir/a") });
        await s.PutAsync("dir/b", "3");
        var etcdctl = fixture.Etcdctl;

        var single = await etcdctl.RunUntilAsync(13, "watch", $"--rev={s.Rev(1)}", "--prev-kv", s.Key("dir/a"));
        var prefix = await etcdctl.RunUntilAsync(12, "watch", $"--rev={s.Rev(1)}", "--prefix", s.Key("dir/"));

        // etcdctl prints each event's type, its prev_kv (when there is one), then the key-value.
        var (a, b) = (s.Key("dir/a"), s.Key("dir/b"));
        Assert.Equal(["PUT", a, "1", "PUT", a, "1", a, "2", "DELETE", a, "2", a, ""], single);
        Assert.Equal(["PUT", a, "1", "PUT", a, "2", "DELETE", a, "", "PUT", b, "3"], prefix);
    }

    [Fact]
    public async Task DotnetEtcdsWatchApiGetsTheEvents()
    {
        var s = await fixture.BeginAsync();
        var events = System.Threading.Channels.Channel.CreateUnbounded<Event>();
        var id = await s.Client.WatchAsync(
            new WatchRequest { CreateRequest = new WatchCreateRequest { Key = s.K("k"), PrevKv = true } },
            (WatchResponse response) =>
            {
                foreach (var e in response.Events)
                {
                    events.Writer.TryWrite(e);
                }
            });

        await s.PutAsync("k", "v1");
        await s.PutAsync("k", "v2");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var first = await events.Reader.ReadAsync(timeout.Token);
        var second = await events.Reader.ReadAsync(timeout.Token);
        s.Client.CancelWatch(id);

        AssertEvent(s, first, Put, "k", "v1", create: 1, mod: 1, version: 1);
        AssertEvent(s, second, Put, "k", "v2", create: 1, mod: 2, version: 2);
        Assert.Equal("v1", second.PrevKv.Value.ToStringUtf8());
    }

    private static string Name(Scenario s, Event e) => e.Kv.Key.ToStringUtf8()[s.Prefix.Length..];

    private static void AssertEvent(Scenario s, Event e, Event.Types.EventType type, string name, string value, long create, long mod, long version)
    {
        Assert.Equal(type, e.Type);
        Assert.Equal(s.Key(name), e.Kv.Key.ToStringUtf8());
        Assert.Equal(value, e.Kv.Value.ToStringUtf8());
        Assert.Equal(create == 0 ? 0 : s.Rev(create), e.Kv.CreateRevision);
        Assert.Equal(s.Rev(mod), e.Kv.ModRevision);
        Assert.Equal(version, e.Kv.Version);
    }
}

public sealed class WatchScenariosOnEtcd(EtcdFixture fixture) : WatchScenarios(fixture), IClassFixture<EtcdFixture>;

[Collection(TargetCollection.Name)]
public sealed class WatchScenariosOnTarget(TargetFixture fixture) : WatchScenarios(fixture);
