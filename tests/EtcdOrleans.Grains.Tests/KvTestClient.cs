using EtcdOrleans.Contracts;
using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;

namespace EtcdOrleans.Grains.Tests;

/// <summary>Speaks to the grains the way the gateway does: proposals to the leader, reads through the reader grain.</summary>
public sealed class KvTestClient(IGrainFactory grains, LeaderRouter router)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public LeaderRouter Router => router;

    public async Task<PutResponse> PutAsync(string key, string value) =>
        PutResponse.Parser.ParseFrom(await ProposeAsync(KvOperation.Put, new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) }));

    public async Task<TxnResponse> TxnAsync(TxnRequest request) =>
        TxnResponse.Parser.ParseFrom(await ProposeAsync(KvOperation.Txn, request));

    public async Task<CompactionResponse> CompactAsync(long revision) =>
        CompactionResponse.Parser.ParseFrom(await ProposeAsync(KvOperation.Compact, new CompactionRequest { Revision = revision }));

    /// <summary>A range read; errors come back as the outcome's <see cref="KvError"/>.</summary>
    public async Task<(KvError Error, RangeResponse? Response)> RangeAsync(RangeRequest request, long minRevision = 0)
    {
        var outcome = await grains.GetGrain<IKvReaderGrain>(0).RangeAsync(request.ToByteArray(), Timeout, minRevision);
        return (outcome.Error, outcome.Response is null ? null : RangeResponse.Parser.ParseFrom(outcome.Response));
    }

    public async Task<RangeResponse> GetPrefixAsync(string prefix, bool serializable = false, long revision = 0, long minRevision = 0)
    {
        var (error, response) = await RangeAsync(
            new RangeRequest
            {
                Key = ByteString.CopyFromUtf8(prefix),
                RangeEnd = ByteString.CopyFromUtf8(PrefixEnd(prefix)),
                Serializable = serializable,
                Revision = revision,
            },
            minRevision);
        Assert.Equal(KvError.None, error);
        return response!;
    }

    /// <summary>Proposes one request at the leader; throws when the cluster answers with an error.</summary>
    public async Task<byte[]> ProposeAsync(KvOperation operation, IMessage request)
    {
        var answered = await router.CallLeaderAsync(
            (replica, budget) => replica.ProposeAsync([new KvCommand(operation, request.ToByteArray())], budget),
            reply => reply.Outcomes[0].Error is KvError.NotLeader or KvError.NoLeader or KvError.Stopped ? reply.LeaderHint : null,
            DateTime.UtcNow + Timeout,
            idempotent: false);
        if (answered is null)
        {
            throw new TimeoutException("no leader answered in time");
        }

        var outcome = answered.Value.Reply.Outcomes[0];
        if (outcome.Error != KvError.None)
        {
            throw new KvErrorException(outcome.Error);
        }

        return outcome.Response!;
    }

    public static string PrefixEnd(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);
}

public sealed class KvErrorException(KvError error) : Exception(error.ToString())
{
    public KvError Error { get; } = error;
}
