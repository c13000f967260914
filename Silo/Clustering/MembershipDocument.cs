using System.Text.Json.Serialization;

namespace EtcdOrleans.Clustering;

/// <summary>The stored form of a cluster's membership table: its version and one row per silo that ever joined.</summary>
internal sealed class MembershipDocument
{
    public int Version { get; set; }

    public long VersionEtag { get; set; }

    public List<MembershipRow> Rows { get; set; } = [];

    /// <summary>The etag the next change of the table or of a row receives.</summary>
    public long NextEtag() => ++VersionEtag;
}

/// <summary>One silo's membership entry in a plain, stable shape.</summary>
internal sealed class MembershipRow
{
    public required string SiloAddress { get; set; }

    public required string Etag { get; set; }

    public int Status { get; set; }

    public int ProxyPort { get; set; }

    public string HostName { get; set; } = "";

    public string SiloName { get; set; } = "";

    public string RoleName { get; set; } = "";

    public int UpdateZone { get; set; }

    public int FaultZone { get; set; }

    public DateTime StartTime { get; set; }

    public DateTime IAmAliveTime { get; set; }

    public List<SuspicionRow> Suspicions { get; set; } = [];
}

/// <summary>A silo's report that another silo looked dead, and when.</summary>
internal sealed class SuspicionRow
{
    public required string Suspector { get; set; }

    public DateTime Time { get; set; }
}

[JsonSerializable(typeof(MembershipDocument))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class MembershipJsonContext : JsonSerializerContext;
