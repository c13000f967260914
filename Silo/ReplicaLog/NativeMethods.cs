using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace EtcdOrleans.ReplicaLog;

/// <summary>The few libc calls the BCL does not offer: fdatasync, flock and flushing a directory.</summary>
internal static partial class NativeMethods
{
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int ErrnoInterrupted = 4;

    private static bool IsUnix => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD();

    /// <summary>Flushes a file's data (and the metadata needed to read it back) to stable storage.</summary>
    public static void SyncData(SafeFileHandle handle, string path)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            if (OperatingSystem.IsWindows())
            {
                if (!FlushFileBuffers(handle.DangerousGetHandle()))
                {
                    throw new IOException($"FlushFileBuffers of '{path}' failed with error {Marshal.GetLastPInvokeError()}.");
                }

                return;
            }

            var fd = (int)handle.DangerousGetHandle();
            while ((OperatingSystem.IsLinux() ? fdatasync(fd) : fsync(fd)) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != ErrnoInterrupted)
                {
                    throw new IOException($"fdatasync of '{path}' failed with errno {errno}.");
                }
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Flushes a directory so that files created, renamed or deleted in it stay so after a crash (POSIX only).</summary>
    public static void SyncDirectory(string directory)
    {
        if (!IsUnix)
        {
            return;
        }

        var fd = open(directory, 0);
        if (fd < 0)
        {
            throw new IOException($"open of directory '{directory}' failed with errno {Marshal.GetLastPInvokeError()}.");
        }

        try
        {
            if (fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory '{directory}' failed with errno {Marshal.GetLastPInvokeError()}.");
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>EWOULDBLOCK: 11 on Linux, 35 on macOS and the BSDs.</summary>
    public static int ErrnoWouldBlock => OperatingSystem.IsLinux() ? 11 : 35;

    /// <summary>
    /// Takes an exclusive, non-blocking flock on <paramref name="handle"/>. flock locks belong to an open file
    /// description, so a second open of the file fails to lock both from another process and from this one.
    /// Returns false if someone else holds it; throws <see cref="IOException"/> if the file system refuses locks
    /// (the fence must never be silently off). A no-op (true) where flock does not exist.
    /// </summary>
    public static bool TryLockExclusive(SafeFileHandle handle, string path)
    {
        if (!IsUnix)
        {
            return true;
        }

        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            while (true)
            {
                if (flock((int)handle.DangerousGetHandle(), LockExclusive | LockNonBlocking) == 0)
                {
                    return true;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno == ErrnoWouldBlock)
                {
                    return false;
                }

                if (errno != ErrnoInterrupted)
                {
                    throw new IOException($"flock of '{path}' failed with errno {errno}: the file system does not support the fence.");
                }
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fdatasync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(int fd, int operation);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("kernel32", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool FlushFileBuffers(nint handle);
}
