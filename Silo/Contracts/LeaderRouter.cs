namespace EtcdOrleans.Contracts;

/// <summary>
/// Finds the Raft leader for callers outside the group (gateways, read workers): remembers the last leader seen,
/// follows "not leader" hints, and while there is no leader retries with a short backoff until a deadline —
/// so an election after a failure costs callers a wait, not an error. A replica whose call just failed (its silo
/// died) is avoided for a while, even when the others still name it leader: they do until they elect another.
/// </summary>
public sealed class LeaderRouter(IGrainFactory grains, int replicas)
{
    private static readonly TimeSpan NoLeaderBackoff = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan SuspectFor = TimeSpan.FromSeconds(3);
    private readonly long[] _suspectUntil = new long[replicas + 1];
    private long _leader = 1;
    private long _nextGuess = 1;

    /// <summary>The replica currently believed to lead.</summary>
    public ulong Leader => (ulong)Interlocked.Read(ref _leader);

    /// <summary>
    /// Calls <paramref name="call"/> on the leader; <paramref name="redirect"/> reads a reply and returns the leader hint
    /// to follow (or 0 for "no leader yet, retry") when the reply says "not leader", or null when the reply is final.
    /// Calls that fail (the replica's silo died) move on to the next replica: retried there when
    /// <paramref name="idempotent"/>, else rethrown, because the failed call may have reached the replica and a
    /// second attempt could apply a write twice (a <see cref="TimeoutException"/> then means the outcome is unknown).
    /// Gives up (null) at <paramref name="timeout"/>.
    /// </summary>
    public async Task<(T Reply, ulong Replica)?> CallLeaderAsync<T>(
        Func<IRaftReplicaGrain, Task<T>> call,
        Func<T, ulong?> redirect,
        TimeSpan timeout,
        bool idempotent,
        CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        var target = Leader;
        var noLeaderAnswers = 0;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var remaining = deadline - DateTime.UtcNow;
            T reply;
            try
            {
                // A replica whose silo died may not answer at all until Orleans declares the silo dead: give each
                // replica a bounded turn, so that the caller moves on to the others, which elect a new leader.
                var attemptTimeout = remaining > AttemptTimeout ? AttemptTimeout : remaining;
                reply = await call(grains.GetGrain<IRaftReplicaGrain>((long)target)).WaitAsync(attemptTimeout, cancellationToken);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                Suspect(target);
                target = NextGuess(target);
                Interlocked.Exchange(ref _leader, (long)target);
                if (!idempotent)
                {
                    throw;
                }

                await Task.Delay(NoLeaderBackoff, cancellationToken);
                continue;
            }

            var hint = redirect(reply);
            if (hint is null)
            {
                Interlocked.Exchange(ref _leader, (long)target);
                return (reply, target);
            }

            var leaderHint = hint.Value is var h && h != 0 && h <= (ulong)replicas && !IsSuspect(h) ? h : 0;
            if (leaderHint != 0 && leaderHint != target)
            {
                target = leaderHint;
                continue;
            }

            // No leader known (an election is on): ask again shortly, the same replica if it is the one named,
            // else another, since this one may be cut off from the rest.
            await Task.Delay(NoLeaderBackoff, cancellationToken);
            if (leaderHint == 0 && ++noLeaderAnswers % NoLeaderAnswersBeforeMoving == 0)
            {
                target = NextGuess(target);
            }
        }

        return null;
    }

    private const int NoLeaderAnswersBeforeMoving = 10;

    private void Suspect(ulong replica) =>
        Volatile.Write(ref _suspectUntil[replica], Environment.TickCount64 + (long)SuspectFor.TotalMilliseconds);

    private bool IsSuspect(ulong replica) => Environment.TickCount64 < Volatile.Read(ref _suspectUntil[replica]);

    /// <summary>Another replica than <paramref name="current"/>, preferring those whose calls did not just fail.</summary>
    private ulong NextGuess(ulong current)
    {
        for (var attempt = 0; attempt < replicas; attempt++)
        {
            var next = (ulong)(Interlocked.Increment(ref _nextGuess) % replicas) + 1;
            if (next != current && !IsSuspect(next))
            {
                return next;
            }
        }

        return current % (ulong)replicas + 1;
    }
}
