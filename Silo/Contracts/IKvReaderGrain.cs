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

    /// <summary>
    /// The watch history of keys in [<paramref name="key"/>, <paramref name="rangeEnd"/>) (etcd's key/range_end
    /// conventions) with revisions from <paramref name="startRevision"/> through <paramref name="endRevision"/>, as an
    /// etcdserverpb.WatchResponse: events in revision order, each with its previous key-value, and the header's
    /// revision saying how far the page goes (a page ends at a revision boundary, within a few MiB). Waits up to
    /// <paramref name="budget"/> for the range grains to reach <paramref name="endRevision"/>.
    /// <see cref="KvError.Compacted"/> when the start is compacted, with the compact revision in
    /// <see cref="KvOutcome.Revision"/>.
    /// </summary>
    [Alias("history")]
    Task<KvOutcome> HistoryAsync(byte[] key, byte[] rangeEnd, long startRevision, long endRevision, TimeSpan budget);
}
