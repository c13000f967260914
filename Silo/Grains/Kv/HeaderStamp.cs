using Rpc = EtcdOrleans.Protos.Etcdserverpb;

namespace EtcdOrleans.Grains.Kv;

/// <summary>
/// Who answers a request, as etcd's response header says it: the cluster, the member (Raft replica) that served the
/// request, and that replica's Raft term when it did. Stamped where the answer is made, so headers never come from a
/// cache that may name another replica or an older term.
/// </summary>
public readonly record struct HeaderStamp(ulong ClusterId, ulong MemberId, ulong RaftTerm)
{
    /// <summary>Sets the identity fields of <paramref name="header"/>; its revision stays as the answer set it.</summary>
    public void ApplyTo(Rpc.ResponseHeader header)
    {
        header.ClusterId = ClusterId;
        header.MemberId = MemberId;
        header.RaftTerm = RaftTerm;
    }

    /// <summary>A header at <paramref name="revision"/> with this stamp.</summary>
    public Rpc.ResponseHeader Header(long revision)
    {
        var header = new Rpc.ResponseHeader { Revision = revision };
        ApplyTo(header);
        return header;
    }
}
