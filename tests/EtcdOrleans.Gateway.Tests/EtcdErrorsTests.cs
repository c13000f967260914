using EtcdOrleans.Gateway.Errors;
using Grpc.Core;

namespace EtcdOrleans.Gateway.Tests;

/// <summary>The wire error table against etcd 3.4's (api/v3rpc/rpctypes/error.go and v3rpc/util.go's togRPCError).</summary>
public sealed class EtcdErrorsTests
{
    /// <summary>etcd 3.4's rpctypes, entry by entry: status code and message text.</summary>
    public static TheoryData<EtcdErrorCode, StatusCode, string> Etcd34WireErrors => new()
    {
        { EtcdErrorCode.EmptyKey, StatusCode.InvalidArgument, "etcdserver: key is not provided" },
        { EtcdErrorCode.KeyNotFound, StatusCode.InvalidArgument, "etcdserver: key not found" },
        { EtcdErrorCode.ValueProvided, StatusCode.InvalidArgument, "etcdserver: value is provided" },
        { EtcdErrorCode.LeaseProvided, StatusCode.InvalidArgument, "etcdserver: lease is provided" },
        { EtcdErrorCode.TooManyOps, StatusCode.InvalidArgument, "etcdserver: too many operations in txn request" },
        { EtcdErrorCode.DuplicateKey, StatusCode.InvalidArgument, "etcdserver: duplicate key given in txn request" },
        { EtcdErrorCode.Compacted, StatusCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted" },
        { EtcdErrorCode.FutureRevision, StatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision" },
        { EtcdErrorCode.NoSpace, StatusCode.ResourceExhausted, "etcdserver: mvcc: database space exceeded" },
        { EtcdErrorCode.LeaseNotFound, StatusCode.NotFound, "etcdserver: requested lease not found" },
        { EtcdErrorCode.LeaseExist, StatusCode.FailedPrecondition, "etcdserver: lease already exists" },
        { EtcdErrorCode.LeaseTtlTooLarge, StatusCode.OutOfRange, "etcdserver: too large lease TTL" },
        { EtcdErrorCode.WatchCanceled, StatusCode.Cancelled, "etcdserver: watch canceled" },
        { EtcdErrorCode.MemberExist, StatusCode.FailedPrecondition, "etcdserver: member ID already exist" },
        { EtcdErrorCode.PeerUrlExist, StatusCode.FailedPrecondition, "etcdserver: Peer URLs already exists" },
        { EtcdErrorCode.MemberBadUrls, StatusCode.InvalidArgument, "etcdserver: given member URLs are invalid" },
        { EtcdErrorCode.MemberNotFound, StatusCode.NotFound, "etcdserver: member not found" },
        { EtcdErrorCode.MemberNotLearner, StatusCode.FailedPrecondition, "etcdserver: can only promote a learner member" },
        { EtcdErrorCode.LearnerNotReady, StatusCode.FailedPrecondition, "etcdserver: can only promote a learner member which is in sync with leader" },
        { EtcdErrorCode.TooManyLearners, StatusCode.FailedPrecondition, "etcdserver: too many learner members in cluster" },
        { EtcdErrorCode.RequestTooLarge, StatusCode.InvalidArgument, "etcdserver: request is too large" },
        { EtcdErrorCode.RootUserNotExist, StatusCode.FailedPrecondition, "etcdserver: root user does not exist" },
        { EtcdErrorCode.RootRoleNotExist, StatusCode.FailedPrecondition, "etcdserver: root user does not have root role" },
        { EtcdErrorCode.UserAlreadyExist, StatusCode.FailedPrecondition, "etcdserver: user name already exists" },
        { EtcdErrorCode.UserEmpty, StatusCode.InvalidArgument, "etcdserver: user name is empty" },
        { EtcdErrorCode.UserNotFound, StatusCode.FailedPrecondition, "etcdserver: user name not found" },
        { EtcdErrorCode.RoleAlreadyExist, StatusCode.FailedPrecondition, "etcdserver: role name already exists" },
        { EtcdErrorCode.RoleNotFound, StatusCode.FailedPrecondition, "etcdserver: role name not found" },
        { EtcdErrorCode.RoleEmpty, StatusCode.InvalidArgument, "etcdserver: role name is empty" },
        { EtcdErrorCode.AuthFailed, StatusCode.InvalidArgument, "etcdserver: authentication failed, invalid user ID or password" },
        { EtcdErrorCode.PermissionDenied, StatusCode.PermissionDenied, "etcdserver: permission denied" },
        { EtcdErrorCode.RoleNotGranted, StatusCode.FailedPrecondition, "etcdserver: role is not granted to the user" },
        { EtcdErrorCode.PermissionNotGranted, StatusCode.FailedPrecondition, "etcdserver: permission is not granted to the role" },
        { EtcdErrorCode.AuthNotEnabled, StatusCode.FailedPrecondition, "etcdserver: authentication is not enabled" },
        { EtcdErrorCode.InvalidAuthToken, StatusCode.Unauthenticated, "etcdserver: invalid auth token" },
        { EtcdErrorCode.InvalidAuthMgmt, StatusCode.InvalidArgument, "etcdserver: invalid auth management" },
        { EtcdErrorCode.AuthOldRevision, StatusCode.InvalidArgument, "etcdserver: revision of auth store is old" },
        { EtcdErrorCode.NoLeader, StatusCode.Unavailable, "etcdserver: no leader" },
        { EtcdErrorCode.NotLeader, StatusCode.FailedPrecondition, "etcdserver: not leader" },
        { EtcdErrorCode.LeaderChanged, StatusCode.Unavailable, "etcdserver: leader changed" },
        { EtcdErrorCode.NotCapable, StatusCode.Unavailable, "etcdserver: not capable" },
        { EtcdErrorCode.Stopped, StatusCode.Unavailable, "etcdserver: server stopped" },
        { EtcdErrorCode.Timeout, StatusCode.Unavailable, "etcdserver: request timed out" },
        { EtcdErrorCode.TimeoutDueToLeaderFail, StatusCode.Unavailable, "etcdserver: request timed out, possibly due to previous leader failure" },
        { EtcdErrorCode.TimeoutDueToConnectionLost, StatusCode.Unavailable, "etcdserver: request timed out, possibly due to connection lost" },
        { EtcdErrorCode.TimeoutWaitAppliedIndex, StatusCode.Unavailable, "etcdserver: request timed out, waiting for the applied index took too long" },
        { EtcdErrorCode.Unhealthy, StatusCode.Unavailable, "etcdserver: unhealthy cluster" },
        { EtcdErrorCode.Corrupt, StatusCode.DataLoss, "etcdserver: corrupt cluster" },
        { EtcdErrorCode.NotSupportedForLearner, StatusCode.Unavailable, "etcdserver: rpc not supported for learner" },
        { EtcdErrorCode.BadLeaderTransferee, StatusCode.FailedPrecondition, "etcdserver: bad leader transferee" },

        // etcd's togRPCError maps these two to rpctypes' client-side errors, which gRPC sends as Unknown.
        { EtcdErrorCode.MemberNotEnoughStarted, StatusCode.Unknown, "etcdserver: re-configuration failed due to not enough started members" },
        { EtcdErrorCode.TooManyRequests, StatusCode.Unknown, "etcdserver: too many requests" },
    };

    [Theory]
    [MemberData(nameof(Etcd34WireErrors))]
    public void EachErrorHasEtcdsStatusCodeAndMessage(EtcdErrorCode code, StatusCode status, string message)
    {
        Assert.Equal((status, message), (EtcdErrors.StatusCodeOf(code), EtcdErrors.Message(code)));
        var exception = EtcdErrors.ToRpcException(code);
        Assert.Equal((status, message), (exception.StatusCode, exception.Status.Detail));
        Assert.Equal(message, new EtcdException(code).Message);
    }

    [Fact]
    public void EveryCodeButNoneHasAWireErrorWithItsOwnMessage()
    {
        var codes = Enum.GetValues<EtcdErrorCode>().Where(c => c != EtcdErrorCode.None).ToArray();

        Assert.Equal(codes.Order(), EtcdErrors.Codes.Order());
        Assert.Equal(codes.Length, codes.Select(EtcdErrors.Message).Distinct().Count());
        Assert.All(codes, c => Assert.StartsWith("etcdserver: ", EtcdErrors.Message(c), StringComparison.Ordinal));
        Assert.All(codes, c => Assert.Equal(c, EtcdErrors.FromInnerMessage(EtcdErrors.Message(c))));
    }

    [Fact]
    public void NoneIsNotAWireError()
    {
        Assert.Equal("", EtcdErrors.Message(EtcdErrorCode.None));
        Assert.Throws<ArgumentOutOfRangeException>(() => EtcdErrors.ToStatus(EtcdErrorCode.None));
    }

    /// <summary>etcd's inner errors (etcdserver, mvcc, lease, auth, membership packages) as togRPCError maps them.</summary>
    [Theory]
    [InlineData("mvcc: required revision has been compacted", StatusCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted")]
    [InlineData("mvcc: required revision is a future revision", StatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision")]
    [InlineData("etcdserver: no space", StatusCode.ResourceExhausted, "etcdserver: mvcc: database space exceeded")]
    [InlineData("etcdserver: request is too large", StatusCode.InvalidArgument, "etcdserver: request is too large")]
    [InlineData("etcdserver: key not found", StatusCode.InvalidArgument, "etcdserver: key not found")]
    [InlineData("etcdserver: too many requests", StatusCode.Unknown, "etcdserver: too many requests")]
    [InlineData("lease not found", StatusCode.NotFound, "etcdserver: requested lease not found")]
    [InlineData("lease already exists", StatusCode.FailedPrecondition, "etcdserver: lease already exists")]
    [InlineData("too large lease TTL", StatusCode.OutOfRange, "etcdserver: too large lease TTL")]
    [InlineData("membership: ID removed", StatusCode.NotFound, "etcdserver: member not found")]
    [InlineData("membership: ID not found", StatusCode.NotFound, "etcdserver: member not found")]
    [InlineData("membership: ID exists", StatusCode.FailedPrecondition, "etcdserver: member ID already exist")]
    [InlineData("membership: peerURL exists", StatusCode.FailedPrecondition, "etcdserver: Peer URLs already exists")]
    [InlineData("etcdserver: re-configuration failed due to not enough started members", StatusCode.Unknown, "etcdserver: re-configuration failed due to not enough started members")]
    [InlineData("etcdserver: no leader", StatusCode.Unavailable, "etcdserver: no leader")]
    [InlineData("etcdserver: request timed out", StatusCode.Unavailable, "etcdserver: request timed out")]
    [InlineData("auth: user not found", StatusCode.FailedPrecondition, "etcdserver: user name not found")]
    [InlineData("auth: revision in header is old", StatusCode.InvalidArgument, "etcdserver: revision of auth store is old")]
    [InlineData("auth: permission denied", StatusCode.PermissionDenied, "etcdserver: permission denied")]
    public void InnerErrorsBecomeTheirWireErrors(string inner, StatusCode status, string message)
    {
        var exception = EtcdErrors.ToRpcException(new InvalidOperationException(inner));

        Assert.Equal((status, message), (exception.StatusCode, exception.Status.Detail));
    }

    /// <summary>Inner errors etcd has no wire error for go out as Unknown with their own text, as etcd does.</summary>
    [Theory]
    [InlineData("etcdserver: request cancelled")]
    [InlineData("etcdserver: request timed out, leader transfer took too long")]
    [InlineData("auth: authentication failed, password was given for no password user")]
    [InlineData("something else entirely")]
    public void OtherErrorsAreUnknownWithTheirMessage(string inner)
    {
        var exception = EtcdErrors.ToRpcException(new InvalidOperationException(inner));

        Assert.Equal((StatusCode.Unknown, inner), (exception.StatusCode, exception.Status.Detail));
        Assert.Null(EtcdErrors.FromInnerMessage(inner));
    }

    [Fact]
    public void EtcdExceptionsAndRpcExceptionsKeepTheirStatus()
    {
        var rpc = new RpcException(new Status(StatusCode.Aborted, "as is"));

        Assert.Same(rpc, EtcdErrors.ToRpcException(rpc));
        var fromEtcd = EtcdErrors.ToRpcException(new EtcdException(EtcdErrorCode.Compacted));
        Assert.Equal((StatusCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted"), (fromEtcd.StatusCode, fromEtcd.Status.Detail));
        Assert.NotSame(EtcdErrors.ToRpcException(EtcdErrorCode.EmptyKey), EtcdErrors.ToRpcException(EtcdErrorCode.EmptyKey));
    }
}
