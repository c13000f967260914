namespace EtcdOrleans.ReplicaLog;

/// <summary>Writing a whole file so that a crash at any point leaves either the old file or the new one.</summary>
public static class DurableFile
{
    /// <summary>
    /// Replaces <paramref name="path"/> with what <paramref name="write"/> writes: to <c>path.tmp</c>, flushed to disk,
    /// renamed over <paramref name="path"/>, then the directory flushed so that the rename survives a crash.
    /// <paramref name="sync"/> false skips both flushes (tests only: nothing is durable then).
    /// </summary>
    public static async Task ReplaceAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken, bool sync = true)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = path + ".tmp";
        await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            await write(file, cancellationToken);
            await file.FlushAsync(cancellationToken);
            if (sync)
            {
                file.Flush(flushToDisk: true);
            }
        }

        File.Move(temporary, path, overwrite: true);
        if (sync)
        {
            NativeMethods.SyncDirectory(directory);
        }
    }
}
