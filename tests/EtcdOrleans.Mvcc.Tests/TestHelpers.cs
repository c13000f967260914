using System.Text;
using EtcdOrleans.Mvcc;

namespace EtcdOrleans.Mvcc.Tests;

internal static class TestHelpers
{
    public static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    public static string S(byte[] b) => Encoding.UTF8.GetString(b);

    public static string[] Keys(RangeResponse response) => response.Kvs.Select(kv => S(kv.Key)).ToArray();

    /// <summary>A sequencer on an empty store with <paramref name="leases"/> granted (grants create no revision).</summary>
    public static Sequencer NewSequencer(params long[] leases)
    {
        var sequencer = new Sequencer(new MvccStore(), leaseIdSeed: 7);
        foreach (var lease in leases)
        {
            sequencer.Ok(new LeaseGrantRequest(lease, 60));
        }

        return sequencer;
    }

    public static Resolution Ok(this Sequencer sequencer, MvccRequest request)
    {
        var resolution = sequencer.Resolve(request);
        Assert.False(resolution.IsError, $"unexpected error {resolution.Error}");
        return resolution;
    }

    public static PutResponse Put(this Sequencer sequencer, string key, string value, long lease = 0)
        => (PutResponse)sequencer.Ok(new PutRequest(B(key), B(value)) { Lease = lease }).Response!;

    public static DeleteRangeResponse Delete(this Sequencer sequencer, string key, string? end = null)
        => (DeleteRangeResponse)sequencer.Ok(new DeleteRangeRequest(B(key), end is null ? null : B(end))).Response!;

    public static RangeResponse Get(this MvccStore store, string key, string? end = null, long revision = 0)
        => store.Range(new RangeRequest(B(key), end is null ? null : B(end)) { Revision = revision });

    public static RangeRequest All() => new(B("\0"), B("\0"));
}
