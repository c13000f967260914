namespace EtcdOrleans.Mvcc;

/// <summary>
/// The leader's request resolver. It holds the speculative state (applied state + effects proposed but not yet
/// committed, one <see cref="MvccStore"/> over all keys) and turns each request into an <see cref="Effect"/> and
/// its response exactly as etcd's applier would execute it on that state, then applies the effect to the
/// speculative state so the next request sees it. Raft commits a prefix, so an effect is valid whenever it commits.
/// Not thread-safe: one caller at a time (the leader's replica grain).
/// </summary>
public sealed partial class Sequencer
{
    private MvccStore _state;
    private readonly long _minLeaseTtl;
    private readonly Random _leaseIds;

    /// <summary>
    /// Takes ownership of <paramref name="appliedState"/> (pass a copy) as the speculative state; its lease table is
    /// the one puts and lease requests check. Lease grants get at least <paramref name="minLeaseTtl"/> seconds
    /// (<see cref="LeaseLimits.MinTtl"/>); server-chosen lease ids come from a random source seeded with
    /// <paramref name="leaseIdSeed"/> (null: unpredictable).
    /// </summary>
    public Sequencer(MvccStore appliedState, long minLeaseTtl = LeaseLimits.DefaultMinTtl, int? leaseIdSeed = null)
    {
        RequireAllKeys(appliedState);
        _state = appliedState;
        _minLeaseTtl = minLeaseTtl;
        _leaseIds = leaseIdSeed is { } seed ? new Random(seed) : new Random();
    }

    /// <summary>The speculative revision: the applied revision plus one per pending mutation effect.</summary>
    public long Revision => _state.CurrentRevision;

    /// <summary>The speculative compaction revision.</summary>
    public long CompactedRevision => _state.CompactedRevision;

    /// <summary>The speculative state, for reads only (e.g. listing a lease's keys). Do not apply effects to it.</summary>
    public MvccStore State => _state;

    /// <summary>
    /// A sequencer for a new leader: <paramref name="appliedCopy"/> (owned from now on) plus the effects in its log
    /// after the applied index, replayed in order.
    /// </summary>
    public static Sequencer FromApplied(MvccStore appliedCopy, IEnumerable<Effect>? pending = null, long minLeaseTtl = LeaseLimits.DefaultMinTtl)
    {
        var sequencer = new Sequencer(appliedCopy, minLeaseTtl);
        if (pending is not null)
        {
            foreach (var effect in pending)
            {
                sequencer.Replay(effect);
            }
        }

        return sequencer;
    }

    /// <summary>
    /// Drops the speculative state (e.g. uncommitted proposals were lost): continue from
    /// <paramref name="appliedCopy"/> (owned from now on) plus <paramref name="pending"/> in order.
    /// </summary>
    public void Reset(MvccStore appliedCopy, IEnumerable<Effect> pending)
    {
        RequireAllKeys(appliedCopy);
        _state = appliedCopy;
        foreach (var effect in pending)
        {
            Replay(effect);
        }
    }

    /// <summary>Applies an effect resolved elsewhere (idempotent, as <see cref="MvccStore.Apply"/>).</summary>
    public bool Replay(Effect effect) => _state.Apply(effect);

    /// <summary>
    /// Resolves a <see cref="PutRequest"/>, <see cref="DeleteRangeRequest"/>, <see cref="TxnRequest"/>,
    /// <see cref="CompactionRequest"/>, <see cref="RangeRequest"/>, <see cref="LeaseGrantRequest"/> or
    /// <see cref="LeaseRevokeRequest"/> against the speculative state.
    /// On success the effect (if any) is already part of the speculative state.
    /// </summary>
    public Resolution Resolve(MvccRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        switch (request)
        {
            case CompactionRequest compaction:
                return ResolveCompaction(compaction);
            case LeaseGrantRequest grant:
                return ResolveLeaseGrant(grant);
            case LeaseRevokeRequest revoke:
                return ResolveLeaseRevoke(revoke);
        }

        if (request is RangeRequest range)
        {
            try
            {
                return Resolution.Succeeded(null, _state.Range(range), _state.CurrentRevision);
            }
            catch (MvccException e)
            {
                return Resolution.Failed(e.Error, _state.CurrentRevision);
            }
        }

        var write = new WriteBatch(_state.CurrentRevision + 1);
        try
        {
            MvccResponse response = request switch
            {
                PutRequest put => ResolvePut(put, write),
                DeleteRangeRequest delete => ExecuteDelete(delete, write),
                TxnRequest txn => ResolveTxn(txn, write),
                _ => throw new ArgumentException($"Unsupported request {request.GetType().Name}.", nameof(request)),
            };

            if (write.Changes.Count == 0)
            {
                return Resolution.Succeeded(null, response, _state.CurrentRevision);
            }

            _state.SetCurrentRevision(write.Revision);
            return Resolution.Succeeded(Effect.Mutation(write.Revision, write.Changes), response, write.Revision);
        }
        catch (MvccException e)
        {
            _state.RollBack(write.Revision);
            return Resolution.Failed(e.Error, _state.CurrentRevision);
        }
        catch
        {
            _state.RollBack(write.Revision);
            throw;
        }
    }

    private Resolution ResolveCompaction(CompactionRequest request)
    {
        // etcd's store checks compacted first, then future.
        if (request.Revision <= _state.CompactedRevision)
        {
            return Resolution.Failed(MvccError.Compacted, _state.CurrentRevision);
        }

        if (request.Revision > _state.CurrentRevision)
        {
            return Resolution.Failed(MvccError.FutureRevision, _state.CurrentRevision);
        }

        var effect = Effect.Compaction(_state.CurrentRevision, request.Revision, request.Physical);
        _state.Apply(effect);
        return Resolution.Succeeded(effect, new CompactionResponse { Revision = _state.CurrentRevision }, _state.CurrentRevision);
    }

    private static void RequireAllKeys(MvccStore store)
    {
        if (store.OwnedRange.Start.Length != 0 || store.OwnedRange.End is not null)
        {
            throw new ArgumentException("The sequencer's state must hold all keys.", nameof(store));
        }
    }

    /// <summary>The changes of the request being resolved, all at main revision <see cref="Revision"/>.</summary>
    private sealed class WriteBatch(long revision)
    {
        public long Revision { get; } = revision;

        public List<KeyChange> Changes { get; } = [];

        /// <summary>etcd's storeTxnWrite read revision: the begin revision, or the new one once something was written.</summary>
        public long ReadRevision => Changes.Count > 0 ? Revision : Revision - 1;
    }
}
