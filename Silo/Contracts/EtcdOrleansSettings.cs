namespace EtcdOrleans.Contracts;

/// <summary>
/// Configuration shared by every EtcdOrleans process, bound from the <c>EtcdOrleans</c> configuration section
/// (environment variables <c>EtcdOrleans__DataDirectory</c> and so on, which the AppHost sets).
/// </summary>
public sealed class EtcdOrleansSettings
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "EtcdOrleans";

    /// <summary>Orleans service id of every EtcdOrleans cluster.</summary>
    public const string ServiceId = "etcd-orleans";

    /// <summary>Where replicas keep their logs, range grains their checkpoints, and the cluster its membership table.</summary>
    public string DataDirectory { get; set; } = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".etcd-orleans");

    /// <summary>Orleans cluster id: silos and gateways of one EtcdOrleans cluster share it.</summary>
    public string ClusterId { get; set; } = "etcd-orleans";

    /// <summary>The number of voting Raft replicas of a new cluster (etcd members). Fixed once the cluster has started.</summary>
    public int Replicas { get; set; } = 3;

    /// <summary>The number of MVCC range grains the key space is split into. Fixed once the cluster has started.</summary>
    public int Ranges { get; set; } = 4;

    /// <summary>The folder of the shared membership table.</summary>
    public string MembershipDirectory => Path.Combine(DataDirectory, "membership");
}
