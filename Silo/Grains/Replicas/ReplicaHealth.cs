using System.Collections.Concurrent;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EtcdOrleans.Grains.Replicas;

/// <summary>
/// The health of the replicas in this silo: a replica that cannot apply a committed entry stops (it must not skip
/// the entry, and retrying it on every reactivation would loop forever) and says so here; the silo reports
/// unhealthy, with the replica, the index and the error, until an operator intervenes.
/// </summary>
public sealed class ReplicaHealth : IHealthCheck
{
    private readonly ConcurrentDictionary<ulong, string> _halted = new();

    /// <summary>Records that <paramref name="replica"/> stopped, and why.</summary>
    public void Halted(ulong replica, string reason) => _halted[replica] = reason;

    /// <summary>Why <paramref name="replica"/> stopped, or null while it runs.</summary>
    public string? HaltReason(ulong replica) => _halted.GetValueOrDefault(replica);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_halted.IsEmpty
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy(string.Join("; ", _halted.OrderBy(p => p.Key).Select(p => $"replica {p.Key} stopped: {p.Value}"))));
}

/// <summary>A committed entry could not be applied: the replica stops rather than diverge or loop.</summary>
public sealed class ApplyFailedException(ulong index, Exception inner)
    : Exception($"applying the committed entry at index {index} failed: {inner.Message}", inner)
{
    public ulong Index { get; } = index;
}
