using System.Text.Json;

namespace EtcdOrleans.Clustering;

/// <summary>
/// The shared folder that holds one cluster's membership table as a single JSON document. Every reader and writer
/// takes an exclusive lock file for the length of one read-modify-write, so silos in different processes on one
/// machine (or on one shared volume) see each change whole. Writes go to a temporary file that is renamed over the
/// table, so a crash mid-write leaves the previous table.
/// </summary>
internal sealed class MembershipDirectory(string directory)
{
    private static readonly TimeSpan LockRetryDelay = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);

    private string TablePath => Path.Combine(directory, "membership.json");
    private string LockPath => Path.Combine(directory, "membership.lock");

    /// <summary>Reads the table under the lock, lets <paramref name="change"/> modify it, and writes it back if it returns true.</summary>
    public async Task<TResult> UpdateAsync<TResult>(Func<MembershipDocument, (bool Changed, TResult Result)> change, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        await using var held = await AcquireLockAsync(cancellationToken).ConfigureAwait(false);
        var document = await ReadUnlockedAsync(cancellationToken).ConfigureAwait(false);
        var (changed, result) = change(document);
        if (changed)
        {
            await WriteUnlockedAsync(document, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>Reads a consistent copy of the table.</summary>
    public Task<MembershipDocument> ReadAsync(CancellationToken cancellationToken) =>
        UpdateAsync(document => (false, document), cancellationToken);

    private async Task<FileStream> AcquireLockAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(LockRetryDelay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<MembershipDocument> ReadUnlockedAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(TablePath))
        {
            return new MembershipDocument();
        }

        await using var stream = File.OpenRead(TablePath);
        return await JsonSerializer.DeserializeAsync(stream, MembershipJsonContext.Default.MembershipDocument, cancellationToken).ConfigureAwait(false)
            ?? new MembershipDocument();
    }

    private async Task WriteUnlockedAsync(MembershipDocument document, CancellationToken cancellationToken)
    {
        var temporary = TablePath + ".tmp";
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await JsonSerializer.SerializeAsync(stream, document, MembershipJsonContext.Default.MembershipDocument, cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, TablePath, overwrite: true);
    }
}
