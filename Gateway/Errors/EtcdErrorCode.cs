namespace EtcdOrleans.Gateway.Errors;

/// <summary>
/// The errors the gateway can send to a client: one value per entry of etcd's wire error table
/// (<c>api/v3rpc/rpctypes</c>). Backends raise them with <see cref="EtcdException"/>; the gateway alone turns
/// them into gRPC statuses, through <see cref="EtcdErrors"/>. The numbers are stable: they may cross grain calls.
/// </summary>
public enum EtcdErrorCode
{
    /// <summary>No error.</summary>
    None = 0,

    // Request validation and the KV store.
    EmptyKey = 1,
    KeyNotFound = 2,
    ValueProvided = 3,
    LeaseProvided = 4,
    TooManyOps = 5,
    DuplicateKey = 6,
    Compacted = 7,
    FutureRevision = 8,
    NoSpace = 9,

    /// <summary>etcd 3.5+: an out-of-range sort order or sort target in a RangeRequest (etcd 3.4 has no check).</summary>
    InvalidSortOption = 10,

    /// <summary>etcd 3.5+: the client's API version metadata is malformed.</summary>
    InvalidClientApiVersion = 11,

    // Leases.
    LeaseNotFound = 20,
    LeaseExist = 21,
    LeaseTtlTooLarge = 22,

    // Watch.
    WatchCanceled = 30,

    // Membership.
    MemberExist = 40,
    PeerUrlExist = 41,
    MemberNotEnoughStarted = 42,
    MemberBadUrls = 43,
    MemberNotFound = 44,
    MemberNotLearner = 45,
    LearnerNotReady = 46,
    TooManyLearners = 47,

    /// <summary>etcd 3.5+.</summary>
    ClusterIdMismatch = 48,

    // Request admission.
    RequestTooLarge = 50,
    TooManyRequests = 51,

    // Auth.
    RootUserNotExist = 60,
    RootRoleNotExist = 61,
    UserAlreadyExist = 62,
    UserEmpty = 63,
    UserNotFound = 64,
    RoleAlreadyExist = 65,
    RoleNotFound = 66,
    RoleEmpty = 67,
    AuthFailed = 68,
    PermissionDenied = 69,
    RoleNotGranted = 70,
    PermissionNotGranted = 71,
    AuthNotEnabled = 72,
    InvalidAuthToken = 73,
    InvalidAuthMgmt = 74,
    AuthOldRevision = 75,

    // Server and consensus state.
    NoLeader = 80,
    NotLeader = 81,
    LeaderChanged = 82,
    NotCapable = 83,
    Stopped = 84,
    Timeout = 85,
    TimeoutDueToLeaderFail = 86,
    TimeoutDueToConnectionLost = 87,
    TimeoutWaitAppliedIndex = 88,
    Unhealthy = 89,
    Corrupt = 90,
    NotSupportedForLearner = 91,
    BadLeaderTransferee = 92,

    // Downgrade (etcd 3.5+).
    ClusterVersionUnavailable = 100,
    WrongDowngradeVersionFormat = 101,
    InvalidDowngradeTargetVersion = 102,
    DowngradeInProcess = 103,
    NoInflightDowngrade = 104,

    // Context errors as etcd 3.5+ names them.
    Canceled = 110,
    DeadlineExceeded = 111,
}
