namespace EtcdOrleans.Gateway.Kv;

/// <summary>
/// The identity and Raft state every response header carries (etcd's <c>ResponseHeader</c>). Read on every
/// response, so it must be cheap and never block: a cached value that the cluster side keeps current.
/// </summary>
public interface IClusterHeaderSource
{
    /// <summary>The header values as of now.</summary>
    ClusterHeader Current { get; }
}

/// <summary>
/// Header values: the cluster id, the id of the member answering (the Raft replica the gateway stands for), the
/// current Raft term, and the store's current revision (used only when a backend left the revision unset).
/// </summary>
public readonly record struct ClusterHeader(ulong ClusterId, ulong MemberId, ulong RaftTerm, long Revision);
