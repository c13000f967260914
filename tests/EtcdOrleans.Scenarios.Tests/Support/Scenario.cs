using dotnet_etcd;
using EtcdOrleans.Scenarios.Tests.Targets;
using Etcdserverpb;
using Google.Protobuf;

namespace EtcdOrleans.Scenarios.Tests.Support;

/// <summary>
/// The context of one scenario: a unique key prefix and the revision read when it began.
/// Revisions in etcd are global, so scenarios assert them relative to <see cref="Baseline"/>.
/// </summary>
public sealed class Scenario(EtcdClient client, IEtcdTarget target, string prefix, long baseline)
{
    public EtcdClient Client { get; } = client;

    public IEtcdTarget Target { get; } = target;

    /// <summary>"/scenario/&lt;test&gt;/&lt;guid&gt;/": every key of the scenario starts with it.</summary>
    public string Prefix { get; } = prefix;

    /// <summary>The store's revision when the scenario began.</summary>
    public long Baseline { get; } = baseline;

    /// <summary>The key <paramref name="name"/> under the scenario's prefix, as a string.</summary>
    public string Key(string name) => Prefix + name;

    /// <summary>The key <paramref name="name"/> under the scenario's prefix, as bytes.</summary>
    public ByteString K(string name) => ByteString.CopyFromUtf8(Prefix + name);

    /// <summary>Range end that covers every key of the scenario (the prefix's range end).</summary>
    public ByteString PrefixEnd => Bytes.PrefixEnd(ByteString.CopyFromUtf8(Prefix));

    public ByteString PrefixBytes => ByteString.CopyFromUtf8(Prefix);

    /// <summary>Revision <paramref name="delta"/> revisions after the baseline.</summary>
    public long Rev(long delta) => Baseline + delta;

    public Task<PutResponse> PutAsync(string name, string value, long lease = 0, bool prevKv = false) =>
        Client.PutAsync(new PutRequest { Key = K(name), Value = Bytes.Of(value), Lease = lease, PrevKv = prevKv });

    public Task<RangeResponse> GetAsync(string name, long revision = 0) =>
        Client.GetAsync(new RangeRequest { Key = K(name), Revision = revision });

    /// <summary>Every key of the scenario, in key order, with optional tweaks of the request.</summary>
    public Task<RangeResponse> RangeAllAsync(Action<RangeRequest>? configure = null)
    {
        var request = new RangeRequest { Key = PrefixBytes, RangeEnd = PrefixEnd };
        configure?.Invoke(request);
        return Client.GetAsync(request);
    }

    public Task<long> CurrentRevisionAsync() => CurrentRevisionAsync(Client, Prefix);

    /// <summary>The store's current revision (the header of a Range, which never changes it).</summary>
    public static async Task<long> CurrentRevisionAsync(EtcdClient client, string anyKey)
    {
        var response = await client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(anyKey), CountOnly = true });
        return response.Header.Revision;
    }
}
