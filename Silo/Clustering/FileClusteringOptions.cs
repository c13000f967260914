namespace EtcdOrleans.Clustering;

/// <summary>Where the shared membership table lives. Every silo and gateway of one cluster must name the same folder.</summary>
public sealed class FileClusteringOptions
{
    public string Directory { get; set; } = "";
}
