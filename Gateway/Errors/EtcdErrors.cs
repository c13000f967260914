using System.Collections.Frozen;
using Grpc.Core;

namespace EtcdOrleans.Gateway.Errors;

/// <summary>
/// The one table of wire errors: for every <see cref="EtcdErrorCode"/> the gRPC status code and the message text,
/// byte for byte as etcd's <c>rpctypes</c> sends them (clients match on the text). Codes follow etcd 3.4/3.5;
/// entries marked "3.5+" exist only in later etcd versions. Also the one mapping from inner errors (the texts
/// of etcd's inner errors, which our backends reuse, e.g. <c>MvccErrors.Message</c>) to wire errors.
/// </summary>
public static class EtcdErrors
{
    private static readonly FrozenDictionary<EtcdErrorCode, WireError> Table = new Dictionary<EtcdErrorCode, WireError>
    {
        [EtcdErrorCode.EmptyKey] = new(StatusCode.InvalidArgument, "etcdserver: key is not provided"),
        [EtcdErrorCode.KeyNotFound] = new(StatusCode.InvalidArgument, "etcdserver: key not found"),
        [EtcdErrorCode.ValueProvided] = new(StatusCode.InvalidArgument, "etcdserver: value is provided"),
        [EtcdErrorCode.LeaseProvided] = new(StatusCode.InvalidArgument, "etcdserver: lease is provided"),
        [EtcdErrorCode.TooManyOps] = new(StatusCode.InvalidArgument, "etcdserver: too many operations in txn request"),
        [EtcdErrorCode.DuplicateKey] = new(StatusCode.InvalidArgument, "etcdserver: duplicate key given in txn request"),
        [EtcdErrorCode.InvalidClientApiVersion] = new(StatusCode.InvalidArgument, "etcdserver: invalid client api version"),
        [EtcdErrorCode.InvalidSortOption] = new(StatusCode.InvalidArgument, "etcdserver: invalid sort option"),
        [EtcdErrorCode.Compacted] = new(StatusCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted"),
        [EtcdErrorCode.FutureRevision] = new(StatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision"),
        [EtcdErrorCode.NoSpace] = new(StatusCode.ResourceExhausted, "etcdserver: mvcc: database space exceeded"),

        [EtcdErrorCode.LeaseNotFound] = new(StatusCode.NotFound, "etcdserver: requested lease not found"),
        [EtcdErrorCode.LeaseExist] = new(StatusCode.FailedPrecondition, "etcdserver: lease already exists"),
        [EtcdErrorCode.LeaseTtlTooLarge] = new(StatusCode.OutOfRange, "etcdserver: too large lease TTL"),

        [EtcdErrorCode.WatchCanceled] = new(StatusCode.Cancelled, "etcdserver: watch canceled"),

        [EtcdErrorCode.MemberExist] = new(StatusCode.FailedPrecondition, "etcdserver: member ID already exist"),
        [EtcdErrorCode.PeerUrlExist] = new(StatusCode.FailedPrecondition, "etcdserver: Peer URLs already exists"),
        // etcd's togRPCError maps this inner error to rpctypes' client-side EtcdError, not to a gRPC status, so gRPC
        // sends it with code Unknown (rpctypes' ErrGRPCMemberNotEnoughStarted, FailedPrecondition, never goes out).
        [EtcdErrorCode.MemberNotEnoughStarted] = new(StatusCode.Unknown, "etcdserver: re-configuration failed due to not enough started members"),
        [EtcdErrorCode.MemberBadUrls] = new(StatusCode.InvalidArgument, "etcdserver: given member URLs are invalid"),
        [EtcdErrorCode.MemberNotFound] = new(StatusCode.NotFound, "etcdserver: member not found"),
        [EtcdErrorCode.MemberNotLearner] = new(StatusCode.FailedPrecondition, "etcdserver: can only promote a learner member"),
        [EtcdErrorCode.LearnerNotReady] = new(StatusCode.FailedPrecondition, "etcdserver: can only promote a learner member which is in sync with leader"),
        [EtcdErrorCode.TooManyLearners] = new(StatusCode.FailedPrecondition, "etcdserver: too many learner members in cluster"),
        [EtcdErrorCode.ClusterIdMismatch] = new(StatusCode.FailedPrecondition, "etcdserver: cluster ID mismatch"),

        [EtcdErrorCode.RequestTooLarge] = new(StatusCode.InvalidArgument, "etcdserver: request is too large"),
        // As for MemberNotEnoughStarted: etcd sends this one with code Unknown, not rpctypes' ResourceExhausted.
        [EtcdErrorCode.TooManyRequests] = new(StatusCode.Unknown, "etcdserver: too many requests"),

        [EtcdErrorCode.RootUserNotExist] = new(StatusCode.FailedPrecondition, "etcdserver: root user does not exist"),
        [EtcdErrorCode.RootRoleNotExist] = new(StatusCode.FailedPrecondition, "etcdserver: root user does not have root role"),
        [EtcdErrorCode.UserAlreadyExist] = new(StatusCode.FailedPrecondition, "etcdserver: user name already exists"),
        [EtcdErrorCode.UserEmpty] = new(StatusCode.InvalidArgument, "etcdserver: user name is empty"),
        [EtcdErrorCode.UserNotFound] = new(StatusCode.FailedPrecondition, "etcdserver: user name not found"),
        [EtcdErrorCode.RoleAlreadyExist] = new(StatusCode.FailedPrecondition, "etcdserver: role name already exists"),
        [EtcdErrorCode.RoleNotFound] = new(StatusCode.FailedPrecondition, "etcdserver: role name not found"),
        [EtcdErrorCode.RoleEmpty] = new(StatusCode.InvalidArgument, "etcdserver: role name is empty"),
        [EtcdErrorCode.AuthFailed] = new(StatusCode.InvalidArgument, "etcdserver: authentication failed, invalid user ID or password"),
        [EtcdErrorCode.PermissionDenied] = new(StatusCode.PermissionDenied, "etcdserver: permission denied"),
        [EtcdErrorCode.RoleNotGranted] = new(StatusCode.FailedPrecondition, "etcdserver: role is not granted to the user"),
        [EtcdErrorCode.PermissionNotGranted] = new(StatusCode.FailedPrecondition, "etcdserver: permission is not granted to the role"),
        [EtcdErrorCode.AuthNotEnabled] = new(StatusCode.FailedPrecondition, "etcdserver: authentication is not enabled"),
        [EtcdErrorCode.InvalidAuthToken] = new(StatusCode.Unauthenticated, "etcdserver: invalid auth token"),
        [EtcdErrorCode.InvalidAuthMgmt] = new(StatusCode.InvalidArgument, "etcdserver: invalid auth management"),
        [EtcdErrorCode.AuthOldRevision] = new(StatusCode.InvalidArgument, "etcdserver: revision of auth store is old"),

        [EtcdErrorCode.NoLeader] = new(StatusCode.Unavailable, "etcdserver: no leader"),
        [EtcdErrorCode.NotLeader] = new(StatusCode.FailedPrecondition, "etcdserver: not leader"),
        [EtcdErrorCode.LeaderChanged] = new(StatusCode.Unavailable, "etcdserver: leader changed"),
        [EtcdErrorCode.NotCapable] = new(StatusCode.Unavailable, "etcdserver: not capable"),
        [EtcdErrorCode.Stopped] = new(StatusCode.Unavailable, "etcdserver: server stopped"),
        [EtcdErrorCode.Timeout] = new(StatusCode.Unavailable, "etcdserver: request timed out"),
        [EtcdErrorCode.TimeoutDueToLeaderFail] = new(StatusCode.Unavailable, "etcdserver: request timed out, possibly due to previous leader failure"),
        [EtcdErrorCode.TimeoutDueToConnectionLost] = new(StatusCode.Unavailable, "etcdserver: request timed out, possibly due to connection lost"),
        [EtcdErrorCode.TimeoutWaitAppliedIndex] = new(StatusCode.Unavailable, "etcdserver: request timed out, waiting for the applied index took too long"),
        [EtcdErrorCode.Unhealthy] = new(StatusCode.Unavailable, "etcdserver: unhealthy cluster"),
        [EtcdErrorCode.Corrupt] = new(StatusCode.DataLoss, "etcdserver: corrupt cluster"),
        [EtcdErrorCode.NotSupportedForLearner] = new(StatusCode.Unavailable, "etcdserver: rpc not supported for learner"),
        [EtcdErrorCode.BadLeaderTransferee] = new(StatusCode.FailedPrecondition, "etcdserver: bad leader transferee"),

        [EtcdErrorCode.ClusterVersionUnavailable] = new(StatusCode.Unavailable, "etcdserver: cluster version not found during downgrade"),
        [EtcdErrorCode.WrongDowngradeVersionFormat] = new(StatusCode.InvalidArgument, "etcdserver: wrong downgrade target version format"),
        [EtcdErrorCode.InvalidDowngradeTargetVersion] = new(StatusCode.InvalidArgument, "etcdserver: invalid downgrade target version"),
        [EtcdErrorCode.DowngradeInProcess] = new(StatusCode.FailedPrecondition, "etcdserver: cluster has a downgrade job in progress"),
        [EtcdErrorCode.NoInflightDowngrade] = new(StatusCode.FailedPrecondition, "etcdserver: no inflight downgrade job"),

        [EtcdErrorCode.Canceled] = new(StatusCode.Cancelled, "etcdserver: request canceled"),
        [EtcdErrorCode.DeadlineExceeded] = new(StatusCode.DeadlineExceeded, "etcdserver: context deadline exceeded"),
    }.ToFrozenDictionary();

    /// <summary>
    /// The texts of etcd's inner errors (packages etcdserver, mvcc, lease, auth, membership) and the wire error each
    /// becomes (etcd's <c>togRPCError</c>). Backends that carry an inner error as text map it here.
    /// </summary>
    private static readonly FrozenDictionary<string, EtcdErrorCode> InnerErrors = new Dictionary<string, EtcdErrorCode>(StringComparer.Ordinal)
    {
        ["membership: ID removed"] = EtcdErrorCode.MemberNotFound,
        ["membership: ID not found"] = EtcdErrorCode.MemberNotFound,
        ["membership: ID exists"] = EtcdErrorCode.MemberExist,
        ["membership: peerURL exists"] = EtcdErrorCode.PeerUrlExist,
        ["membership: can only promote a learner member"] = EtcdErrorCode.MemberNotLearner,
        ["membership: too many learner members in cluster"] = EtcdErrorCode.TooManyLearners,
        ["etcdserver: re-configuration failed due to not enough started members"] = EtcdErrorCode.MemberNotEnoughStarted,
        ["etcdserver: can only promote a learner member which is in sync with leader"] = EtcdErrorCode.LearnerNotReady,

        ["mvcc: required revision has been compacted"] = EtcdErrorCode.Compacted,
        ["mvcc: required revision is a future revision"] = EtcdErrorCode.FutureRevision,
        ["etcdserver: request is too large"] = EtcdErrorCode.RequestTooLarge,
        ["etcdserver: no space"] = EtcdErrorCode.NoSpace,
        ["etcdserver: too many requests"] = EtcdErrorCode.TooManyRequests,

        ["etcdserver: no leader"] = EtcdErrorCode.NoLeader,
        ["etcdserver: not leader"] = EtcdErrorCode.NotLeader,
        ["etcdserver: leader changed"] = EtcdErrorCode.LeaderChanged,
        ["etcdserver: server stopped"] = EtcdErrorCode.Stopped,
        ["etcdserver: request timed out"] = EtcdErrorCode.Timeout,
        ["etcdserver: request timed out, possibly due to previous leader failure"] = EtcdErrorCode.TimeoutDueToLeaderFail,
        ["etcdserver: request timed out, possibly due to connection lost"] = EtcdErrorCode.TimeoutDueToConnectionLost,
        ["etcdserver: request timed out, waiting for the applied index took too long"] = EtcdErrorCode.TimeoutWaitAppliedIndex,
        ["etcdserver: unhealthy cluster"] = EtcdErrorCode.Unhealthy,
        ["etcdserver: key not found"] = EtcdErrorCode.KeyNotFound,
        ["etcdserver: corrupt cluster"] = EtcdErrorCode.Corrupt,
        ["etcdserver: bad leader transferee"] = EtcdErrorCode.BadLeaderTransferee,

        ["lease not found"] = EtcdErrorCode.LeaseNotFound,
        ["lease already exists"] = EtcdErrorCode.LeaseExist,
        ["too large lease TTL"] = EtcdErrorCode.LeaseTtlTooLarge,

        ["auth: root user does not exist"] = EtcdErrorCode.RootUserNotExist,
        ["auth: root user does not have root role"] = EtcdErrorCode.RootRoleNotExist,
        ["auth: user already exists"] = EtcdErrorCode.UserAlreadyExist,
        ["auth: user name is empty"] = EtcdErrorCode.UserEmpty,
        ["auth: user not found"] = EtcdErrorCode.UserNotFound,
        ["auth: role already exists"] = EtcdErrorCode.RoleAlreadyExist,
        ["auth: role not found"] = EtcdErrorCode.RoleNotFound,
        ["auth: role name is empty"] = EtcdErrorCode.RoleEmpty,
        ["auth: authentication failed, invalid user ID or password"] = EtcdErrorCode.AuthFailed,
        ["auth: permission denied"] = EtcdErrorCode.PermissionDenied,
        ["auth: role is not granted to the user"] = EtcdErrorCode.RoleNotGranted,
        ["auth: permission is not granted to the role"] = EtcdErrorCode.PermissionNotGranted,
        ["auth: authentication is not enabled"] = EtcdErrorCode.AuthNotEnabled,
        ["auth: invalid auth token"] = EtcdErrorCode.InvalidAuthToken,
        ["auth: invalid auth management"] = EtcdErrorCode.InvalidAuthMgmt,
        ["auth: revision in header is old"] = EtcdErrorCode.AuthOldRevision,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Every code that has a wire error (all but <see cref="EtcdErrorCode.None"/>).</summary>
    public static IEnumerable<EtcdErrorCode> Codes => Table.Keys;

    /// <summary>The gRPC status code etcd sends for <paramref name="code"/>.</summary>
    public static StatusCode StatusCodeOf(EtcdErrorCode code) => Entry(code).StatusCode;

    /// <summary>The message text etcd sends for <paramref name="code"/>.</summary>
    public static string Message(EtcdErrorCode code) => code == EtcdErrorCode.None ? "" : Entry(code).Message;

    /// <summary>The wire status for <paramref name="code"/>.</summary>
    public static Status ToStatus(EtcdErrorCode code)
    {
        var entry = Entry(code);
        return new Status(entry.StatusCode, entry.Message);
    }

    /// <summary>A fresh exception carrying the wire status for <paramref name="code"/> (never shared: exceptions hold state).</summary>
    public static RpcException ToRpcException(EtcdErrorCode code) => new(ToStatus(code));

    /// <summary>
    /// The wire error for an inner error text: an etcd inner error (<c>"mvcc: required revision has been compacted"</c>,
    /// <c>"lease not found"</c>, ...) or a wire message itself. Null when the text is none of etcd's errors.
    /// </summary>
    public static EtcdErrorCode? FromInnerMessage(string message)
    {
        if (InnerErrors.TryGetValue(message, out var inner))
        {
            return inner;
        }

        foreach (var (code, entry) in Table)
        {
            if (string.Equals(entry.Message, message, StringComparison.Ordinal))
            {
                return code;
            }
        }

        return null;
    }

    /// <summary>
    /// The wire exception for an error a backend raised, as etcd's <c>togRPCError</c> does: etcd errors by the
    /// table, inner-error texts by the inner table, anything else as <see cref="StatusCode.Unknown"/> with its message.
    /// Cancellation is the caller's to handle (it knows whose token fired).
    /// </summary>
    public static RpcException ToRpcException(Exception error) => error switch
    {
        RpcException rpc => rpc,
        EtcdException etcd => ToRpcException(etcd.Code),
        _ when FromInnerMessage(error.Message) is { } code => ToRpcException(code),
        _ => new RpcException(new Status(StatusCode.Unknown, error.Message)),
    };

    private static WireError Entry(EtcdErrorCode code) =>
        Table.TryGetValue(code, out var entry)
            ? entry
            : throw new ArgumentOutOfRangeException(nameof(code), code, "Not an etcd wire error.");

    private readonly record struct WireError(StatusCode StatusCode, string Message);
}
