using EtcdOrleans.Contracts;
using EtcdOrleans.Mvcc;
using EtcdOrleans.Raft;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rpc = EtcdOrleans.Protos.Etcdserverpb;

namespace EtcdOrleans.Grains.Replicas;

/// <summary>
/// The leader's lessor: expiry times of the leases in the applied lease table (<see cref="LeaseExpiry"/>), renewals,
/// TTL queries, and revocation of expired leases through the log. Lease grants and revocations themselves are effects
/// sequenced like any write, so every replica's applied state has the same lease table.
/// <para>As in etcd, the leader becomes the primary lessor once it has applied its first (empty) entry of the term
/// — every entry of earlier terms is applied by then — and gives every lease its full TTL plus an election timeout
/// (Promote); when it steps down it forgets all expiry times (Demote).</para>
/// </summary>
public sealed partial class RaftReplicaGrain : ILessorGrain
{
    /// <summary>etcd checks for expired leases every 500 ms and revokes at most leaseRevokeRate / 2 = 500 per check.</summary>
    private static readonly TimeSpan LeaseCheckInterval = TimeSpan.FromMilliseconds(500);
    private const int MaxRevocationsPerCheck = 500;

    /// <summary>What etcd reports as the TTL of a lease that never expires: int64(time.Duration(MaxInt64).Seconds()).</summary>
    private const long ForeverTtlSeconds = long.MaxValue / 1_000_000_000;

    private readonly LeaseExpiry _leaseExpiry = new();

    /// <summary>KeepAlives of expired leases wait for the revocation: true once applied, false when demoted.</summary>
    private readonly Dictionary<long, TaskCompletionSource<bool>> _revocationWaiters = [];
    private IGrainTimer? _leaseTimer;
    private TimeProvider? _clock;

    private TimeProvider Clock => _clock ??= ServiceProvider.GetService<TimeProvider>() ?? TimeProvider.System;

    /// <summary>Monotonic time for lease expiry.</summary>
    private TimeSpan LeaseNow => Clock.GetElapsedTime(0);

    /// <summary>etcd's minimum lease TTL for this group's timing.</summary>
    private long MinLeaseTtl => LeaseLimits.MinTtl(timing.Value.ElectionTicks, timing.Value.TickInterval);

    public async Task<LeaseReply> KeepAliveAsync(long leaseId, TimeSpan budget)
    {
        var deadline = DateTime.UtcNow + budget;
        if (!await IsPrimaryLessorAsync(budget))
        {
            return NotLessorReply();
        }

        // etcd fills the header before renewing: a lease revoked at revision R is never renewed "at" R + 1.
        var revision = _appliedRevision;
        long ttl = 0;
        if (_state.Leases.Find(leaseId) is { } lease)
        {
            var now = LeaseNow;
            if (_leaseExpiry.TryRenew(leaseId, lease.Ttl, now))
            {
                ttl = lease.Ttl;
            }
            else if (!_leaseExpiry.IsExpired(leaseId, now))
            {
                // Not tracked (granted by an entry applied before this leader's promotion): it starts now.
                _leaseExpiry.Granted(leaseId, lease.Ttl, now);
                ttl = lease.Ttl;
            }
            else
            {
                // Expired and being revoked: as etcd, answer once the revocation is applied (not found, TTL 0), or send
                // the caller to the next leader if this one steps down first.
                var revoked = await WaitRevokedAsync(leaseId, LeaderRouter.TimeLeft(deadline));
                if (revoked is null)
                {
                    return new LeaseReply(KvError.Timeout, null, _node.Leader, _node.Term);
                }

                if (revoked == false)
                {
                    return NotLessorReply();
                }
            }
        }

        var response = new Rpc.LeaseKeepAliveResponse { Header = Stamp.Header(revision), ID = leaseId, TTL = ttl };
        return new LeaseReply(KvError.None, response.ToByteArray(), _id, _node.Term);
    }

    public async Task<LeaseReply> TimeToLiveAsync(byte[] request, TimeSpan budget)
    {
        var query = Rpc.LeaseTimeToLiveRequest.Parser.ParseFrom(request);
        if (!await IsPrimaryLessorAsync(budget))
        {
            return NotLessorReply();
        }

        if (_state.Leases.Find(query.ID) is not { } lease)
        {
            // etcd's v3rpc layer answers an unknown lease with TTL -1 (not an error), headed with the current revision.
            var unknown = new Rpc.LeaseTimeToLiveResponse { Header = Stamp.Header(_appliedRevision), ID = query.ID, TTL = -1 };
            return new LeaseReply(KvError.None, unknown.ToByteArray(), _id, _node.Term);
        }

        var response = new Rpc.LeaseTimeToLiveResponse
        {
            Header = Stamp.Header(_appliedRevision),
            ID = query.ID,
            TTL = RemainingSeconds(lease.Id, LeaseNow),
            GrantedTTL = lease.Ttl,
        };
        if (query.Keys)
        {
            foreach (var key in lease.Keys)
            {
                response.Keys.Add(ByteString.CopyFrom(key));
            }
        }

        return new LeaseReply(KvError.None, response.ToByteArray(), _id, _node.Term);
    }

    public async Task<LeaseReply> LeasesAsync(TimeSpan budget)
    {
        if (!await IsPrimaryLessorAsync(budget))
        {
            return NotLessorReply();
        }

        // etcd lists its leases by remaining time (ties in no particular order; here by id).
        var now = LeaseNow;
        var response = new Rpc.LeaseLeasesResponse { Header = Stamp.Header(_appliedRevision) };
        foreach (var lease in _state.Leases.All.OrderBy(l => _leaseExpiry.Remaining(l.Id, now)).ThenBy(l => l.Id))
        {
            response.Leases.Add(new Rpc.LeaseStatus { ID = lease.Id });
        }

        return new LeaseReply(KvError.None, response.ToByteArray(), _id, _node.Term);
    }

    /// <summary>etcd's int64(Remaining().Seconds()): truncated toward zero, negative once expired and not yet revoked.</summary>
    private long RemainingSeconds(long leaseId, TimeSpan now)
    {
        var remaining = _leaseExpiry.Remaining(leaseId, now);
        return remaining == TimeSpan.MaxValue ? ForeverTtlSeconds : (long)remaining.TotalSeconds;
    }

    /// <summary>True when this replica is the promoted leader and has applied everything committed (etcd's waitAppliedIndex).</summary>
    private async Task<bool> IsPrimaryLessorAsync(TimeSpan budget)
    {
        if (_halted is not null || _node.Role != RaftRole.Leader || !_leaseExpiry.IsPrimary)
        {
            return false;
        }

        if (_appliedIndex < _node.Commit)
        {
            var applied = WaitApplied(_node.Commit, term: 0, Applied);
            if (!await CompletesWithinAsync(applied, budget) || applied.Result.Error != KvError.None)
            {
                return false;
            }
        }

        return _node.Role == RaftRole.Leader && _leaseExpiry.IsPrimary;
    }

    /// <summary>Not the lessor: the caller retries at the hinted leader (this replica itself while it is being promoted).</summary>
    private LeaseReply NotLessorReply() => new(NotLeaderOutcome().Error, null, _node.Leader, _node.Term);

    private async Task<bool?> WaitRevokedAsync(long leaseId, TimeSpan budget)
    {
        if (!_revocationWaiters.TryGetValue(leaseId, out var waiter))
        {
            waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _revocationWaiters[leaseId] = waiter;
        }

        return await CompletesWithinAsync(waiter.Task, budget) ? waiter.Task.Result : null;
    }

    /// <summary>Hook: an entry without data was applied; the leader's own entry of its term makes it the primary lessor.</summary>
    private void EmptyEntryApplied(Entry entry)
    {
        if (_node.Role != RaftRole.Leader || entry.Term != _node.Term || _leaseExpiry.IsPrimary)
        {
            return;
        }

        var extend = timing.Value.TickInterval * timing.Value.ElectionTicks;
        _leaseExpiry.Promote(_state.Leases.All, LeaseNow, extend);
        _leaseTimer ??= this.RegisterGrainTimer(RevokeExpiredLeasesAsync, new GrainTimerCreationOptions(LeaseCheckInterval, LeaseCheckInterval)
        {
            Interleave = true,
            KeepAlive = true,
        });
        LogLessorPromoted(_id, _node.Term, _leaseExpiry.Count);
    }

    /// <summary>Hook: a lease effect was applied to the applied state.</summary>
    private void LeaseEffectApplied(Effect effect)
    {
        switch (effect.Kind)
        {
            case EffectKind.LeaseGrant:
                _leaseExpiry.Granted(effect.LeaseId, effect.LeaseTtl, LeaseNow);
                break;
            case EffectKind.LeaseRevoke:
                _leaseExpiry.Revoked(effect.LeaseId);
                if (_revocationWaiters.Remove(effect.LeaseId, out var waiter))
                {
                    waiter.TrySetResult(true);
                }

                break;
        }
    }

    /// <summary>Hook: this replica is no longer the leader.</summary>
    private void DemoteLessor()
    {
        if (!_leaseExpiry.IsPrimary)
        {
            return;
        }

        _leaseExpiry.Demote();
        foreach (var waiter in _revocationWaiters.Values)
        {
            waiter.TrySetResult(false);
        }

        _revocationWaiters.Clear();
        LogLessorDemoted(_id);
    }

    /// <summary>etcd's revokeExpiredLeases: proposes the revocation of every expired lease (rate limited).</summary>
    private Task RevokeExpiredLeasesAsync(CancellationToken cancellationToken)
    {
        if (_node.Role != RaftRole.Leader || !_leaseExpiry.IsPrimary)
        {
            return Task.CompletedTask;
        }

        var expired = _leaseExpiry.TakeExpired(LeaseNow, MaxRevocationsPerCheck);
        foreach (var leaseId in expired)
        {
            _ = RevokeExpiredAsync(leaseId);
        }

        if (expired.Count > 0)
        {
            Kick();
        }

        return Task.CompletedTask;
    }

    private async Task RevokeExpiredAsync(long leaseId)
    {
        var command = new KvCommand(KvOperation.LeaseRevoke, new Rpc.LeaseRevokeRequest { ID = leaseId }.ToByteArray());
        Task<ReadConfirmation>? confirmation = null;
        var outcome = await Sequence(command, ref confirmation);
        if (outcome.Error is not (KvError.None or KvError.LeaseNotFound))
        {
            // Retried after LeaseExpiry.RetryInterval while this replica leads; else by the next leader.
            LogExpiredRevokeFailed(_id, leaseId, outcome.Error);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {Replica} is the primary lessor in term {Term} with {Leases} leases")]
    private partial void LogLessorPromoted(ulong replica, ulong term, int leases);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {Replica} is no longer the primary lessor")]
    private partial void LogLessorDemoted(ulong replica);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {Replica}: revoking expired lease {Lease} failed with {Error}")]
    private partial void LogExpiredRevokeFailed(ulong replica, long lease, KvError error);
}
