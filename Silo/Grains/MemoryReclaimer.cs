using System.Runtime;

namespace EtcdOrleans.Grains;

/// <summary>
/// Gives the memory of compacted revisions back to the system. A compaction frees the superseded revisions in every
/// store of the silo, but the garbage collector keeps the freed heap committed, so the process would not shrink; one
/// full, compacting collection a few seconds after a compaction (once every store of the silo applied it) returns it.
/// Compactions are rare (etcd's auto-compaction runs at most every few minutes), so the pause is too.
/// </summary>
internal static class MemoryReclaimer
{
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(3);
    private static int _scheduled;

    /// <summary>Called when a store of this silo applied a compaction.</summary>
    public static void Compacted()
    {
        if (Interlocked.Exchange(ref _scheduled, 1) == 1)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            await Task.Delay(Delay).ConfigureAwait(false);
            Volatile.Write(ref _scheduled, 0);
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        });
    }
}
