using EtcdOrleans.Contracts;
using EtcdOrleans.Gateway.Errors;

namespace EtcdOrleans.Gateway.Cluster;

/// <summary>The one place where the cluster's <see cref="KvError"/> becomes etcd's wire error.</summary>
internal static class KvErrorMapping
{
    public static EtcdErrorCode ToEtcd(KvError error) => error switch
    {
        KvError.None => EtcdErrorCode.None,
        KvError.Compacted => EtcdErrorCode.Compacted,
        KvError.FutureRevision => EtcdErrorCode.FutureRevision,
        KvError.KeyNotFound => EtcdErrorCode.KeyNotFound,
        KvError.LeaseNotFound => EtcdErrorCode.LeaseNotFound,
        KvError.NotLeader => EtcdErrorCode.NotLeader,
        KvError.NoLeader => EtcdErrorCode.NoLeader,
        KvError.LeaderChanged => EtcdErrorCode.LeaderChanged,
        KvError.Timeout => EtcdErrorCode.Timeout,
        KvError.TooManyRequests => EtcdErrorCode.TooManyRequests,
        KvError.Stopped => EtcdErrorCode.Stopped,
        KvError.LeaseExists => EtcdErrorCode.LeaseExist,
        KvError.LeaseTtlTooLarge => EtcdErrorCode.LeaseTtlTooLarge,
        _ => throw new ArgumentOutOfRangeException(nameof(error), error, "A cluster error without a wire error."),
    };

    /// <summary>
    /// The response bytes of a successful outcome, taken from its reply buffer when it was too large for one message;
    /// an <see cref="EtcdException"/> otherwise.
    /// </summary>
    public static async Task<byte[]> ResponseOrThrowAsync(IGrainFactory grains, KvOutcome outcome, CancellationToken cancellationToken) =>
        outcome is { Error: KvError.None, Buffered: { } buffered }
            ? await ReplyBuffer.ReadAsync(grains, buffered).WaitAsync(cancellationToken).ConfigureAwait(false)
            : ResponseOrThrow(outcome);

    /// <summary>The response bytes of a successful outcome; an <see cref="EtcdException"/> otherwise.</summary>
    public static byte[] ResponseOrThrow(KvOutcome outcome) =>
        outcome.Error == KvError.None && outcome.Response is { } response
            ? response
            : throw new EtcdException(ToEtcd(outcome.Error == KvError.None ? KvError.Stopped : outcome.Error));
}
