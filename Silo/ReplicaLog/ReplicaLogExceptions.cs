namespace EtcdOrleans.ReplicaLog;

/// <summary>The base of the replica log's own failures.</summary>
public class ReplicaLogException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ReplicaLogException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Another store (in this process or another one) owns the replica's directory. The caller must not take part in
/// the replica group with this activation.
/// </summary>
public sealed class ReplicaLogFencedException : ReplicaLogException
{
    /// <summary>Creates the exception for <paramref name="directory"/>.</summary>
    public ReplicaLogFencedException(string directory, Exception? innerException = null)
        : base(
            $"The replica log directory '{directory}' is locked by another writer (another store, in this process or another one, " +
            $"holds '{System.IO.Path.Combine(directory, "LOCK")}'; the file names its holder). This store must not take part in the replica group.",
            innerException)
    {
        Directory = directory;
    }

    /// <summary>The directory whose fence could not be taken.</summary>
    public string Directory { get; }
}

/// <summary>Damage that recovery must not repair silently: a bad record before the tail, a missing segment or snapshot.</summary>
public sealed class ReplicaLogCorruptException : ReplicaLogException
{
    /// <summary>Creates the exception for the damage at <paramref name="offset"/> of <paramref name="path"/>.</summary>
    public ReplicaLogCorruptException(string path, long offset, string reason)
        : base($"Replica log corrupt: {reason} ('{path}' at offset {offset}).")
    {
        Path = path;
        Offset = offset;
    }

    /// <summary>The damaged file (or directory).</summary>
    public string Path { get; }

    /// <summary>The offset of the damage in <see cref="Path"/>, or -1.</summary>
    public long Offset { get; }
}

/// <summary>A write or flush failed earlier; nothing more is written. Dispose the store and open it again.</summary>
public sealed class ReplicaLogFaultedException : ReplicaLogException
{
    /// <summary>Creates the exception with the original failure as <paramref name="innerException"/>.</summary>
    public ReplicaLogFaultedException(string directory, Exception innerException)
        : base($"The replica log in '{directory}' failed to write and is faulted: {innerException.Message}", innerException)
    {
    }
}
