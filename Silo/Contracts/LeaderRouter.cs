namespace EtcdOrleans.Contracts;

/// <summary>
/// Finds the Raft leader for callers outside the group (gateways, read workers): remembers the last leader seen,
/// follows "not leader" hints, and while there is no leader retries with a short backoff until the request's
/// deadline — so an election after a failure costs callers a wait, not an error. A replica whose call failed (its
/// silo died) is avoided for a while, even when the others still name it leader: they do until they elect another.
/// <para>Every call carries the time left until the caller's deadline (one deadline per client request, set by the
/// gateway): a slow but live leader gets the whole of it, and is neither suspected nor answered for by a timeout of
/// the router's own.</para>
/// </summary>
public sealed class LeaderRouter(IGrainFactory grains, int replicas)
{
    private static readonly TimeSpan NoLeaderBackoff = TimeSpan.FromMilliseconds(50);

    /// <summary>How long an idempotent attempt may take before the router also asks the other replicas.</summary>
    private static readonly TimeSpan IdempotentAttempt = TimeSpan.FromSeconds(2);

    /// <summary>What a reply needs to travel back: a call gets this much less than the time left.</summary>
    private static readonly TimeSpan ReplyMargin = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan SuspectFor = TimeSpan.FromSeconds(3);
    private const int NoLeaderAnswersBeforeMoving = 10;

    private readonly long[] _suspectUntil = new long[replicas + 1];
    private long _leader = 1;
    private long _nextGuess = 1;

    /// <summary>The replica currently believed to lead.</summary>
    public ulong Leader => (ulong)Interlocked.Read(ref _leader);

    /// <summary>
    /// Calls <paramref name="call"/> on the leader with the time it may take; <paramref name="redirect"/> reads a
    /// reply and returns the leader hint to follow (or 0 for "no leader yet, retry") when the reply says the replica
    /// did nothing, or null when the reply is final. Calls that fail (the replica's silo died) move on to the next
    /// replica: retried there when <paramref name="idempotent"/>, else rethrown, because the failed call may have
    /// reached the replica and a second attempt could apply a write twice. A non-idempotent call gets all the time
    /// left; an idempotent one that is slow is asked again elsewhere. Gives up (null) at <paramref name="deadline"/>.
    /// </summary>
    public async Task<(T Reply, ulong Replica)?> CallLeaderAsync<T>(
        Func<IRaftReplicaGrain, TimeSpan, Task<T>> call,
        Func<T, ulong?> redirect,
        DateTime deadline,
        bool idempotent,
        CancellationToken cancellationToken = default)
    {
        var target = Leader;
        var noLeaderAnswers = 0;
        while (TimeLeft(deadline) is var remaining && remaining > TimeSpan.Zero)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // The replica gets less time than the router waits, so that its own answer (an error, maybe) gets back.
            var attempt = idempotent && remaining > IdempotentAttempt ? IdempotentAttempt : remaining;
            var budget = attempt > ReplyMargin * 2 ? attempt - ReplyMargin : attempt;
            T reply;
            try
            {
                reply = await call(grains.GetGrain<IRaftReplicaGrain>((long)target), budget)
                    .WaitAsync(attempt, cancellationToken);
            }
            catch (TimeoutException) when (idempotent && !cancellationToken.IsCancellationRequested)
            {
                // Slow, perhaps paused: ask another replica, which names the leader (maybe this one again).
                target = NextGuess(target);
                continue;
            }
            catch (TimeoutException) when (!cancellationToken.IsCancellationRequested)
            {
                // The whole budget went by: the outcome is unknown, but the replica is not known to be dead. The next
                // call starts at another replica, which sends it back here if this one still leads.
                Interlocked.Exchange(ref _leader, (long)NextGuess(target));
                return null;
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

    /// <summary>The time from now until <paramref name="deadline"/> (UTC), never negative.</summary>
    public static TimeSpan TimeLeft(DateTime deadline)
    {
        var left = deadline - DateTime.UtcNow;
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

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
