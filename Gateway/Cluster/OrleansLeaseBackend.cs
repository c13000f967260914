using EtcdOrleans.Contracts;
using EtcdOrleans.Gateway.Errors;
using EtcdOrleans.Gateway.Lease;
using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;
using Microsoft.Extensions.Options;

namespace EtcdOrleans.Gateway.Cluster;

/// <summary>
/// etcd's lessor on the Orleans cluster: grants and revocations are proposals, batched with the KV writes by the
/// <see cref="ProposalBatcher"/>; renewals and queries go to the leader's <see cref="ILessorGrain"/> through the
/// <see cref="LeaderRouter"/> (they change nothing in the log, so a failed call is retried at the next leader).
/// </summary>
internal sealed class OrleansLeaseBackend(IGrainFactory grains, LeaderRouter router, ProposalBatcher proposals, IOptions<GatewayOptions> options) : ILeaseBackend
{
    private readonly TimeSpan _timeout = options.Value.RequestTimeout;

    public async Task<LeaseGrantResponse> GrantAsync(LeaseGrantRequest request, CancellationToken cancellationToken) =>
        LeaseGrantResponse.Parser.ParseFrom(await ProposeAsync(KvOperation.LeaseGrant, request, cancellationToken).ConfigureAwait(false));

    public async Task<LeaseRevokeResponse> RevokeAsync(LeaseRevokeRequest request, CancellationToken cancellationToken) =>
        LeaseRevokeResponse.Parser.ParseFrom(await ProposeAsync(KvOperation.LeaseRevoke, request, cancellationToken).ConfigureAwait(false));

    public async Task<LeaseKeepAliveResponse> KeepAliveAsync(long leaseId, CancellationToken cancellationToken) =>
        LeaseKeepAliveResponse.Parser.ParseFrom(await CallLessorAsync((lessor, budget) => lessor.KeepAliveAsync(leaseId, budget), cancellationToken).ConfigureAwait(false));

    public async Task<LeaseTimeToLiveResponse> TimeToLiveAsync(LeaseTimeToLiveRequest request, CancellationToken cancellationToken)
    {
        var bytes = request.ToByteArray();
        return LeaseTimeToLiveResponse.Parser.ParseFrom(await CallLessorAsync((lessor, budget) => lessor.TimeToLiveAsync(bytes, budget), cancellationToken).ConfigureAwait(false));
    }

    public async Task<LeaseLeasesResponse> LeasesAsync(LeaseLeasesRequest request, CancellationToken cancellationToken) =>
        LeaseLeasesResponse.Parser.ParseFrom(await CallLessorAsync((lessor, budget) => lessor.LeasesAsync(budget), cancellationToken).ConfigureAwait(false));

    private async Task<byte[]> ProposeAsync(KvOperation operation, IMessage request, CancellationToken cancellationToken)
    {
        var outcome = await proposals.ProposeAsync(new KvCommand(operation, request.ToByteArray()), cancellationToken).ConfigureAwait(false);
        return await KvErrorMapping.ResponseOrThrowAsync(grains, outcome, cancellationToken).ConfigureAwait(false);
    }

    private async Task<byte[]> CallLessorAsync(Func<ILessorGrain, TimeSpan, Task<LeaseReply>> call, CancellationToken cancellationToken)
    {
        var answered = await router.CallLeaderAsync(
            (replica, budget) => call(replica.AsReference<ILessorGrain>(), budget),
            reply => reply.Error is KvError.NotLeader or KvError.NoLeader ? reply.LeaderHint : null,
            DateTime.UtcNow + _timeout,
            idempotent: true,
            cancellationToken).ConfigureAwait(false);
        if (answered is not { } reply)
        {
            throw new EtcdException(EtcdErrorCode.Timeout);
        }

        return KvErrorMapping.ResponseOrThrow(new KvOutcome(reply.Reply.Error, reply.Reply.Response));
    }
}
