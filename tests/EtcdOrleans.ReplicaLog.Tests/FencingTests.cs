using System.Diagnostics;
using EtcdOrleans.Raft;
using static EtcdOrleans.ReplicaLog.Tests.TestDirectory;

namespace EtcdOrleans.ReplicaLog.Tests;

/// <summary>One writer per replica directory: in this process, from another process, and after the holder goes away.</summary>
public sealed class FencingTests
{
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_second_store_on_the_same_directory_is_fenced_until_the_first_is_disposed()
    {
        using var dir = new TestDirectory();
        var (first, _) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await first.SaveAsync(new HardState(3, 1, 0), MakeEntries(1, 2));

        // The same directory spelled differently is still the same fence.
        var alias = System.IO.Path.Combine(dir.Path, ".", "..", System.IO.Path.GetFileName(dir.Path)) + System.IO.Path.DirectorySeparatorChar;
        var fenced = await Assert.ThrowsAsync<ReplicaLogFencedException>(() => FileReplicaLogStore.OpenAsync(dir.Options() with { Directory = alias }));
        Assert.Equal(dir.Path, fenced.Directory);
        Assert.Contains("locked by another writer", fenced.Message, StringComparison.Ordinal);
        Assert.Contains(dir.Path, fenced.Message, StringComparison.Ordinal);

        // The fenced attempt changed nothing: the first store keeps writing.
        await first.SaveAsync(null, [MakeEntry(3)]);
        await first.DisposeAsync();

        var (second, recovery) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (second)
        {
            Assert.Equal(new HardState(3, 1, 0), recovery.HardState);
            AssertSameEntries(MakeEntries(1, 3), recovery.Entries);
        }
    }

    [Fact]
    public async Task A_failed_open_releases_nothing_it_did_not_take()
    {
        using var dir = new TestDirectory();
        var (first, _) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (first)
        {
            var loser = new FileReplicaLogStore(dir.Options());
            await Assert.ThrowsAsync<ReplicaLogFencedException>(() => loser.OpenAsync());
            await loser.DisposeAsync();

            // Disposing the loser must not have released the holder's fence.
            await Assert.ThrowsAsync<ReplicaLogFencedException>(() => FileReplicaLogStore.OpenAsync(dir.Options()));
        }
    }

    [Fact]
    public async Task A_child_process_is_fenced_while_this_process_holds_the_directory()
    {
        using var dir = new TestDirectory();
        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (store)
        {
            using var child = StartChild("try", dir.Path);
            var output = await child.StandardOutput.ReadToEndAsync();
            await child.WaitForExitAsync().WaitAsync(ChildTimeout);
            Assert.Equal(Program.FencedExitCode, child.ExitCode);
            Assert.StartsWith("FENCED ", output, StringComparison.Ordinal);
            Assert.Contains("locked by another writer", output, StringComparison.Ordinal);
        }

        using var after = StartChild("try", dir.Path);
        var afterOutput = await after.StandardOutput.ReadToEndAsync();
        await after.WaitForExitAsync().WaitAsync(ChildTimeout);
        Assert.Equal(0, after.ExitCode);
        Assert.Contains("OPEN", afterOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task This_process_is_fenced_while_a_child_holds_the_directory_and_not_after_it_closes()
    {
        using var dir = new TestDirectory();
        using var child = StartChild("hold", dir.Path);
        Assert.Equal("OPEN", await ReadLineAsync(child));

        var fenced = await Assert.ThrowsAsync<ReplicaLogFencedException>(() => FileReplicaLogStore.OpenAsync(dir.Options()));
        Assert.Equal(dir.Path, fenced.Directory);

        await child.StandardInput.WriteLineAsync("close");
        Assert.Equal("CLOSED", await ReadLineAsync(child));
        await child.WaitForExitAsync().WaitAsync(ChildTimeout);
        Assert.Equal(0, child.ExitCode);

        var (store, _) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await store.DisposeAsync();
    }

    [Fact]
    public async Task The_fence_of_a_killed_process_is_released_by_the_OS()
    {
        using var dir = new TestDirectory();
        using var child = StartChild("hold", dir.Path);
        Assert.Equal("OPEN", await ReadLineAsync(child));
        await Assert.ThrowsAsync<ReplicaLogFencedException>(() => FileReplicaLogStore.OpenAsync(dir.Options()));

        child.Kill(entireProcessTree: true);
        await child.WaitForExitAsync().WaitAsync(ChildTimeout);

        var (store, recovery) = await FileReplicaLogStore.OpenAsync(dir.Options());
        await using (store)
        {
            Assert.Empty(recovery.Entries);
        }
    }

    /// <summary>Starts this test assembly as a child process (see <see cref="Program"/>).</summary>
    private static Process StartChild(string mode, string directory)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (string.IsNullOrEmpty(host))
        {
            host = Environment.ProcessPath is { } self && System.IO.Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        }

        var info = new ProcessStartInfo(host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(typeof(Program).Assembly.Location);
        info.ArgumentList.Add(mode);
        info.ArgumentList.Add(directory);
        return Process.Start(info) ?? throw new InvalidOperationException("could not start the child process");
    }

    private static async Task<string?> ReadLineAsync(Process child) =>
        await child.StandardOutput.ReadLineAsync().WaitAsync(ChildTimeout);
}
