namespace EtcdOrleans.Contracts;

/// <summary>
/// Serves reads: a stateless worker in every silo that takes a read barrier (linearizable reads) or not
/// (serializable reads), reads every range grain that overlaps the request at one revision, and merges the parts
/// into one answer with exact sort, limit, more and count.
/// </summary>
[Alias("etcd.kv-reader")]
public interface IKvReaderGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Answers an etcdserverpb.RangeRequest (protobuf bytes) with an etcdserverpb.RangeResponse, or with
    /// <see cref="KvError.Timeout"/> when that takes longer than <paramref name="budget"/>. A serializable read
    /// reflects at least <paramref name="minRevision"/>: the caller's own acknowledged writes (read-your-writes, as a
    /// serializable read on the etcd member that applied them); linearizable reads see those anyway.
    /// </summary>
    [Alias("range")]
    Task<KvOutcome> RangeAsync(byte[] request, TimeSpan budget, long minRevision);
}
