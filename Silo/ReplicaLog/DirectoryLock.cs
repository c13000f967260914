using Microsoft.Win32.SafeHandles;

namespace EtcdOrleans.ReplicaLog;

/// <summary>
/// The fence of a replica directory: the file <c>LOCK</c>, opened with <see cref="FileShare.None"/> (on Unix .NET
/// takes an exclusive flock for that; on Windows it is a share-mode lock) and, on Unix, flock'ed exclusively once
/// more by us, so the fence holds even when .NET's own locking is turned off by DOTNET_SYSTEM_IO_DISABLEFILELOCKING.
/// flock belongs to the open file description: a second open fails to lock it from this process as from another one.
/// Held until disposed; the OS releases it when the process dies. Descriptors are close-on-exec, so child processes
/// never inherit the fence.
/// </summary>
internal sealed class DirectoryLock : IDisposable
{
    public const string FileName = "LOCK";

    private readonly SafeFileHandle _handle;

    private DirectoryLock(SafeFileHandle handle) => _handle = handle;

    /// <summary>Takes the fence of <paramref name="directory"/> or throws <see cref="ReplicaLogFencedException"/>.</summary>
    public static DirectoryLock Acquire(string directory)
    {
        var path = Path.Combine(directory, FileName);
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (IsLockConflict(ex))
        {
            throw new ReplicaLogFencedException(directory, ex);
        }

        try
        {
            if (!NativeMethods.TryLockExclusive(handle, path))
            {
                throw new ReplicaLogFencedException(directory);
            }

            // Who holds it, for people looking at the directory (cat LOCK); not used for the fence itself.
            var holder = System.Text.Encoding.UTF8.GetBytes(
                $"pid {Environment.ProcessId} on {Environment.MachineName} since {DateTimeOffset.UtcNow:O}\n");
            RandomAccess.SetLength(handle, 0);
            RandomAccess.Write(handle, holder, 0);
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        return new DirectoryLock(handle);
    }

    public void Dispose() => _handle.Dispose();

    /// <summary>
    /// True for the errors that mean "someone else holds it": EWOULDBLOCK from .NET's flock on Unix (11 on Linux,
    /// 35 on macOS and BSD), a sharing or lock violation on Windows. Any other I/O error is not a fence and propagates.
    /// </summary>
    private static bool IsLockConflict(IOException ex)
    {
        if (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }

        if (OperatingSystem.IsWindows())
        {
            var code = ex.HResult & 0xFFFF;
            return code is 32 or 33;
        }

        return ex.HResult == NativeMethods.ErrnoWouldBlock;
    }
}
