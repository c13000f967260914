using System.Text;

namespace EtcdOrleans.Mvcc;

/// <summary>
/// One version of a key, as etcd's mvccpb.KeyValue. Immutable by contract: the arrays are shared
/// between the store, responses and events and must never be mutated.
/// </summary>
public sealed class KeyValue : IEquatable<KeyValue>
{
    public KeyValue(byte[] key, byte[] value, long createRevision, long modRevision, long version, long lease)
    {
        Key = key;
        Value = value;
        CreateRevision = createRevision;
        ModRevision = modRevision;
        Version = version;
        Lease = lease;
    }

    public byte[] Key { get; }

    public byte[] Value { get; }

    /// <summary>Main revision of the put that created the current generation of the key.</summary>
    public long CreateRevision { get; }

    /// <summary>Main revision of the last modification.</summary>
    public long ModRevision { get; }

    /// <summary>Number of puts since the key was (re)created; 1 for a new key.</summary>
    public long Version { get; }

    /// <summary>Attached lease id, 0 for none.</summary>
    public long Lease { get; }

    /// <summary>This key-value with an empty value (keys_only).</summary>
    public KeyValue WithoutValue()
        => Value.Length == 0 ? this : new KeyValue(Key, [], CreateRevision, ModRevision, Version, Lease);

    public bool Equals(KeyValue? other)
        => other is not null
            && CreateRevision == other.CreateRevision
            && ModRevision == other.ModRevision
            && Version == other.Version
            && Lease == other.Lease
            && Key.AsSpan().SequenceEqual(other.Key)
            && Value.AsSpan().SequenceEqual(other.Value);

    public override bool Equals(object? obj) => Equals(obj as KeyValue);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Key);
        hash.Add(ModRevision);
        return hash.ToHashCode();
    }

    public override string ToString()
        => $"{Encoding.UTF8.GetString(Key)}={Encoding.UTF8.GetString(Value)} (create {CreateRevision}, mod {ModRevision}, ver {Version}, lease {Lease})";
}
