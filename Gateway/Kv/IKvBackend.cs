using EtcdOrleans.Protos.Etcdserverpb;

namespace EtcdOrleans.Gateway.Kv;

/// <summary>
/// What the KV service needs from the cluster: etcd's <c>RaftKV</c>. The gateway calls it only with requests that
/// passed <see cref="KvRequestValidator"/>, so implementations may rely on etcd's request invariants (non-empty
/// keys, bounded txns, no duplicate keys per txn branch, proposals within the size limit).
/// <para>Every method returns the response with <c>Header.Revision</c> set (the store revision the answer
/// reflects); the gateway fills cluster_id, member_id and raft_term from <see cref="IClusterHeaderSource"/> where
/// they are zero. Errors are raised as <see cref="Errors.EtcdException"/> with the etcd error (e.g. Compacted,
/// FutureRevision, LeaseNotFound, KeyNotFound, NoLeader, Timeout); any other exception reaches the client as
/// <c>Unknown</c> with its message, as etcd does with errors it does not know. When
/// <paramref name="cancellationToken"/> fires (client gone, or the gateway's request timeout), throw
/// <see cref="OperationCanceledException"/>.</para>
/// </summary>
public interface IKvBackend
{
    /// <summary>
    /// A read. Linearizable unless <c>serializable</c>; <c>revision</c> &lt;= 0 reads the current revision; a
    /// compacted revision raises Compacted, a revision beyond the current one FutureRevision.
    /// </summary>
    Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken);

    /// <summary>A put, acknowledged once durable on a majority and applied. A missing lease raises LeaseNotFound;
    /// ignore_value/ignore_lease on a missing key raise KeyNotFound.</summary>
    Task<PutResponse> PutAsync(PutRequest request, CancellationToken cancellationToken);

    /// <summary>A delete of a key or range, acknowledged once durable on a majority and applied.</summary>
    Task<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken);

    /// <summary>A transaction. One that only reads may be served as a read (see <see cref="KvRequestValidator.IsReadOnly"/>).</summary>
    Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken);

    /// <summary>A compaction; a revision at or below the compacted one raises Compacted, beyond the current one FutureRevision.</summary>
    Task<CompactionResponse> CompactAsync(CompactionRequest request, CancellationToken cancellationToken);
}
