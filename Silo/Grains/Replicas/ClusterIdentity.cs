using System.IO.Hashing;
using System.Text;

namespace EtcdOrleans.Grains.Replicas;

/// <summary>etcd's cluster_id: a stable 64-bit id derived from the cluster's name, the same on every replica.</summary>
public static class ClusterIdentity
{
    public static ulong Of(string clusterName) => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(clusterName));
}
