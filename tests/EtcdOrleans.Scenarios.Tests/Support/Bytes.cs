using Etcdserverpb;
using Google.Protobuf;
using Mvccpb;

namespace EtcdOrleans.Scenarios.Tests.Support;

/// <summary>Byte-string helpers for keys, values and range ends.</summary>
public static class Bytes
{
    /// <summary>"\0" as a range end: "every key &gt;= key" (etcdctl --from-key).</summary>
    public static ByteString FromKeyEnd { get; } = ByteString.CopyFrom(0);

    public static ByteString Of(string text) => ByteString.CopyFromUtf8(text);

    /// <summary>The range end etcd clients use for a prefix: the prefix with its last non-0xff byte incremented.</summary>
    public static ByteString PrefixEnd(ByteString prefix)
    {
        var end = prefix.ToByteArray();
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] < 0xff)
            {
                end[i]++;
                return ByteString.CopyFrom(end, 0, i + 1);
            }
        }

        return FromKeyEnd;
    }

    /// <summary>Keys of <paramref name="kvs"/> as strings with <paramref name="prefix"/> removed.</summary>
    public static string[] Names(IEnumerable<KeyValue> kvs, string prefix) =>
        kvs.Select(kv => kv.Key.ToStringUtf8()[prefix.Length..]).ToArray();

    public static string[] Values(IEnumerable<KeyValue> kvs) => kvs.Select(kv => kv.Value.ToStringUtf8()).ToArray();

    public static string[] Names(RangeResponse response, Scenario scenario) => Names(response.Kvs, scenario.Prefix);
}
