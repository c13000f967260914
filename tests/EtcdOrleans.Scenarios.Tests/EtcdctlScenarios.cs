using System.Text;
using System.Text.Json;
using EtcdOrleans.Scenarios.Tests.Support;
using EtcdOrleans.Scenarios.Tests.Targets;

namespace EtcdOrleans.Scenarios.Tests;

/// <summary>
/// etcdctl 3.4, the client most people type into: its text output and its <c>-w json</c> output (the responses as
/// the Go client decoded them: keys and values base64, 64-bit numbers as JSON numbers), compared structurally.
/// </summary>
public abstract class EtcdctlScenarios(EtcdTargetFixture fixture)
{
    [Fact]
    public async Task PutAndGetInTextAndJson()
    {
        var s = await fixture.BeginAsync();
        var etcdctl = fixture.Etcdctl;

        var put = await etcdctl.RunAsync("put", s.Key("a"), "hello");
        await etcdctl.RunAsync("put", s.Key("a"), "again");
        var text = await etcdctl.RunAsync("get", s.Key("a"));
        var json = await etcdctl.RunAsync("get", s.Key("a"), "-w", "json");
        var missing = await etcdctl.RunAsync("get", s.Key("missing"), "-w", "json");

        Assert.Equal((0, "OK\n"), (put.ExitCode, put.Stdout));
        Assert.Equal([s.Key("a"), "again"], text.Lines);
        AssertHeader(json.Json, s.Rev(2));
        var kv = Assert.Single(json.Json.GetProperty("kvs").EnumerateArray());
        Assert.Equal(
            ["key", "create_revision", "mod_revision", "version", "value"],
            kv.EnumerateObject().Select(p => p.Name));
        Assert.Equal((s.Key("a"), "again"), (Base64(kv.GetProperty("key")), Base64(kv.GetProperty("value"))));
        Assert.Equal((s.Rev(1), s.Rev(2), 2L), (kv.GetProperty("create_revision").GetInt64(), kv.GetProperty("mod_revision").GetInt64(), kv.GetProperty("version").GetInt64()));
        Assert.Equal(1, json.Json.GetProperty("count").GetInt64());

        // Empty fields are left out: a miss has only a header.
        Assert.Equal(["header"], missing.Json.EnumerateObject().Select(p => p.Name));
        AssertHeader(missing.Json, s.Rev(2));
    }

    [Fact]
    public async Task GetWithPrefixSortLimitAndKeysOnly()
    {
        var s = await fixture.BeginAsync();
        var etcdctl = fixture.Etcdctl;
        foreach (var (key, value) in new[] { ("p/a", "2"), ("p/b", "3"), ("p/c", "1"), ("q", "0") })
        {
            await etcdctl.RunAsync("put", s.Key(key), value);
        }

        var prefix = await etcdctl.RunAsync("get", "--prefix", "--keys-only", s.Key("p/"));
        var sorted = await etcdctl.RunAsync("get", "--prefix", "--sort-by=VALUE", "--order=DESCEND", "--limit=2", s.Key("p/"));
        var json = await etcdctl.RunAsync("get", "--prefix", "--limit=1", "-w", "json", s.Key("p/"));
        var keysOnly = await etcdctl.RunAsync("get", "--prefix", "--keys-only", "-w", "json", s.Key("p/"));

        Assert.Equal([s.Key("p/a"), "", s.Key("p/b"), "", s.Key("p/c")], prefix.Lines);
        Assert.Equal([s.Key("p/b"), "3", s.Key("p/a"), "2"], sorted.Lines);
        Assert.True(json.Json.GetProperty("more").GetBoolean());
        Assert.Equal(3, json.Json.GetProperty("count").GetInt64());
        Assert.Equal(["header", "kvs", "count"], keysOnly.Json.EnumerateObject().Select(p => p.Name));
        Assert.All(keysOnly.Json.GetProperty("kvs").EnumerateArray(), kv => Assert.Equal(
            ["key", "create_revision", "mod_revision", "version"], kv.EnumerateObject().Select(p => p.Name)));
    }

    [Fact]
    public async Task DeleteCountsAndPrintsPreviousValues()
    {
        var s = await fixture.BeginAsync();
        var etcdctl = fixture.Etcdctl;
        await etcdctl.RunAsync("put", s.Key("d/1"), "one");
        await etcdctl.RunAsync("put", s.Key("d/2"), "two");
        await etcdctl.RunAsync("put", s.Key("single"), "x");

        var single = await etcdctl.RunAsync("del", "--prev-kv", s.Key("single"));
        var prefix = await etcdctl.RunAsync("del", "--prefix", "-w", "json", s.Key("d/"));
        var none = await etcdctl.RunAsync("del", s.Key("none"));

        Assert.Equal(["1", s.Key("single"), "x"], single.Lines);
        AssertHeader(prefix.Json, s.Rev(5));
        Assert.Equal(2, prefix.Json.GetProperty("deleted").GetInt64());
        Assert.Equal(["0"], none.Lines);
    }

    [Fact]
    public async Task TxnFromStandardInputTakesEitherBranch()
    {
        var s = await fixture.BeginAsync();
        var etcdctl = fixture.Etcdctl;
        await etcdctl.RunAsync("put", s.Key("flag"), "on");
        string Script(string expected) =>
            $"value(\"{s.Key("flag")}\") = \"{expected}\"\n\nput {s.Key("then")} yes\nget {s.Key("flag")}\n\nput {s.Key("else")} yes\n\n";

        var success = await etcdctl.RunWithInputAsync(Script("on"), "txn");
        var failure = await etcdctl.RunWithInputAsync(Script("off"), "txn", "-w", "json");

        Assert.Equal(["SUCCESS", "", "OK", "", s.Key("flag"), "on"], success.Lines);
        AssertHeader(failure.Json, s.Rev(3));
        Assert.False(failure.Json.TryGetProperty("succeeded", out _)); // false is left out
        var put = Assert.Single(failure.Json.GetProperty("responses").EnumerateArray());
        Assert.Equal(
            """{"Response":{"ResponsePut":{"header":{"revision":REV}}}}""".Replace("REV", s.Rev(3).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal),
            put.GetRawText());
    }

    [Fact]
    public async Task CompactionAndReadsOfCompactedAndFutureRevisions()
    {
        var s = await fixture.BeginAsync();
        var etcdctl = fixture.Etcdctl;
        await etcdctl.RunAsync("put", s.Key("a"), "1");
        await etcdctl.RunAsync("put", s.Key("a"), "2");
        var rev = (long r) => r.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var compact = await etcdctl.RunAsync("compaction", "--physical", rev(s.Rev(2)));
        var compacted = await etcdctl.RunAsync("get", $"--rev={rev(s.Rev(1))}", s.Key("a"));
        var again = await etcdctl.RunAsync("compaction", rev(s.Rev(2)));
        var future = await etcdctl.RunAsync("get", $"--rev={rev(s.Rev(3))}", s.Key("a"));
        var atCompaction = await etcdctl.RunAsync("get", $"--rev={rev(s.Rev(2))}", "--print-value-only", s.Key("a"));

        Assert.Equal((0, $"compacted revision {s.Rev(2)}\n"), (compact.ExitCode, compact.Stdout));
        Assert.Equal((1, "Error: etcdserver: mvcc: required revision has been compacted"), (compacted.ExitCode, compacted.ErrorLine));
        Assert.Equal((1, "Error: etcdserver: mvcc: required revision has been compacted"), (again.ExitCode, again.ErrorLine));
        Assert.Equal((1, "Error: etcdserver: mvcc: required revision is a future revision"), (future.ExitCode, future.ErrorLine));
        Assert.Equal(["2"], atCompaction.Lines);
    }

    [Fact]
    public async Task ErrorsArePrintedWithEtcdsMessages()
    {
        var s = await fixture.BeginAsync();
        var etcdctl = fixture.Etcdctl;

        var ignoreValue = await etcdctl.RunAsync("put", "--ignore-value", s.Key("missing"));
        var lease = await etcdctl.RunAsync("put", "--lease=1234abcd", s.Key("a"), "v");

        Assert.Equal((1, "Error: etcdserver: key not found"), (ignoreValue.ExitCode, ignoreValue.ErrorLine));
        Assert.Equal((1, "Error: etcdserver: requested lease not found"), (lease.ExitCode, lease.ErrorLine));
        Assert.Equal(s.Baseline, await s.CurrentRevisionAsync());
    }

    /// <summary>The header: cluster and member ids and the raft term are the target's own, the revision is exact.</summary>
    private static void AssertHeader(JsonElement response, long revision)
    {
        var header = response.GetProperty("header");
        Assert.Equal(["cluster_id", "member_id", "revision", "raft_term"], header.EnumerateObject().Select(p => p.Name));
        Assert.NotEqual(0UL, header.GetProperty("cluster_id").GetUInt64());
        Assert.NotEqual(0UL, header.GetProperty("member_id").GetUInt64());
        Assert.NotEqual(0UL, header.GetProperty("raft_term").GetUInt64());
        Assert.Equal(revision, header.GetProperty("revision").GetInt64());
    }

    private static string Base64(JsonElement element) => Encoding.UTF8.GetString(Convert.FromBase64String(element.GetString()!));
}

public sealed class EtcdctlScenariosOnEtcd(EtcdFixture fixture) : EtcdctlScenarios(fixture), IClassFixture<EtcdFixture>;

[Collection(TargetCollection.Name)]
public sealed class EtcdctlScenariosOnTarget(TargetFixture fixture) : EtcdctlScenarios(fixture);
