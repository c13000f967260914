using EtcdOrleans.Gateway.Errors;
using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;

namespace EtcdOrleans.Gateway.Kv;

/// <summary>
/// etcd's checks of KV requests (its v3rpc <c>key.go</c>), run by the gateway before any cluster work: same
/// rules, same order, same errors. Each check returns <see cref="EtcdErrorCode.None"/> when the request is valid,
/// so the hot path allocates nothing for valid requests.
/// </summary>
public static class KvRequestValidator
{
    /// <summary>
    /// A RangeRequest: a key is required; sort order and target must be values of their enums. etcd 3.4 has only
    /// the key check (an unknown sort target there reaches a nil sorter in the applier); etcd 3.5+ rejects unknown
    /// sort options with "etcdserver: invalid sort option", after the key check, order before target.
    /// </summary>
    public static EtcdErrorCode CheckRange(RangeRequest request)
    {
        if (request.Key.IsEmpty)
        {
            return EtcdErrorCode.EmptyKey;
        }

        if (!Enum.IsDefined(request.SortOrder) || !Enum.IsDefined(request.SortTarget))
        {
            return EtcdErrorCode.InvalidSortOption;
        }

        return EtcdErrorCode.None;
    }

    /// <summary>A PutRequest: a key is required; ignore_value forbids a value, ignore_lease forbids a lease.</summary>
    public static EtcdErrorCode CheckPut(PutRequest request)
    {
        if (request.Key.IsEmpty)
        {
            return EtcdErrorCode.EmptyKey;
        }

        if (request.IgnoreValue && !request.Value.IsEmpty)
        {
            return EtcdErrorCode.ValueProvided;
        }

        if (request.IgnoreLease && request.Lease != 0)
        {
            return EtcdErrorCode.LeaseProvided;
        }

        return EtcdErrorCode.None;
    }

    /// <summary>A DeleteRangeRequest: a key is required.</summary>
    public static EtcdErrorCode CheckDeleteRange(DeleteRangeRequest request) =>
        request.Key.IsEmpty ? EtcdErrorCode.EmptyKey : EtcdErrorCode.None;

    /// <summary>
    /// A TxnRequest: the structural check (operation counts, keys, every nested request), then — only when that
    /// passed, so the interval check never runs on oversized input — the duplicate-key check of the success
    /// branch, then of the failure branch.
    /// </summary>
    public static EtcdErrorCode CheckTxn(TxnRequest request, int maxTxnOps)
    {
        var error = CheckTxnStructure(request, maxTxnOps);
        if (error != EtcdErrorCode.None)
        {
            return error;
        }

        if (!TxnWriteSets.TryCollect(request.Success, out _, out _) || !TxnWriteSets.TryCollect(request.Failure, out _, out _))
        {
            return EtcdErrorCode.DuplicateKey;
        }

        return EtcdErrorCode.None;
    }

    /// <summary>
    /// etcd's <c>checkTxnRequest</c>: the largest of the compare, success and failure counts must not exceed
    /// <paramref name="maxTxnOps"/>; then every compare needs a key; then each success op, then each failure op, is
    /// checked in order, a nested txn against the budget left over (<paramref name="maxTxnOps"/> minus this
    /// level's largest count).
    /// </summary>
    public static EtcdErrorCode CheckTxnStructure(TxnRequest request, int maxTxnOps)
    {
        var ops = Math.Max(request.Compare.Count, Math.Max(request.Success.Count, request.Failure.Count));
        if (ops > maxTxnOps)
        {
            return EtcdErrorCode.TooManyOps;
        }

        foreach (var compare in request.Compare)
        {
            if (compare.Key.IsEmpty)
            {
                return EtcdErrorCode.EmptyKey;
            }
        }

        var nestedBudget = maxTxnOps - ops;
        foreach (var op in request.Success)
        {
            var error = CheckRequestOp(op, nestedBudget);
            if (error != EtcdErrorCode.None)
            {
                return error;
            }
        }

        foreach (var op in request.Failure)
        {
            var error = CheckRequestOp(op, nestedBudget);
            if (error != EtcdErrorCode.None)
            {
                return error;
            }
        }

        return EtcdErrorCode.None;
    }

    /// <summary>One op of a txn; an op with no request set is "etcdserver: key not found", as in etcd.</summary>
    public static EtcdErrorCode CheckRequestOp(RequestOp op, int maxTxnOps) => op.RequestCase switch
    {
        RequestOp.RequestOneofCase.RequestRange => CheckRange(op.RequestRange),
        RequestOp.RequestOneofCase.RequestPut => CheckPut(op.RequestPut),
        RequestOp.RequestOneofCase.RequestDeleteRange => CheckDeleteRange(op.RequestDeleteRange),
        RequestOp.RequestOneofCase.RequestTxn => CheckTxnStructure(op.RequestTxn, maxTxnOps),
        _ => EtcdErrorCode.KeyNotFound,
    };

    /// <summary>
    /// etcd's size limit on proposals: the request as it would be proposed must not exceed
    /// <paramref name="maxRequestBytes"/> ("etcdserver: request is too large"). Applies to requests that go through
    /// consensus (Put, DeleteRange, a Txn that writes, Compact), not to reads.
    /// </summary>
    public static EtcdErrorCode CheckProposalSize(IMessage request, int maxRequestBytes) =>
        ProposalSize(request.CalculateSize()) > maxRequestBytes ? EtcdErrorCode.RequestTooLarge : EtcdErrorCode.None;

    /// <summary>
    /// The size etcd compares with its limit is that of the marshalled internal raft request: the client's request
    /// as a length-delimited field (a one-byte tag for put/delete_range/txn/compaction, a varint length) plus the
    /// request header (field 100: a two-byte tag, a length byte, and the request id as a varint of at most 10
    /// bytes, plus the user name and auth revision when auth is on). We count the id at its largest, so a request
    /// is rejected at most a few bytes before etcd would; auth adds <paramref name="authHeaderBytes"/>.
    /// </summary>
    public static long ProposalSize(int requestSize, int authHeaderBytes = 0)
    {
        const int headerBytes = 2 + 1 + 1 + 10;
        return 1L + CodedOutputStream.ComputeLengthSize(requestSize) + requestSize + headerBytes + authHeaderBytes;
    }

    /// <summary>etcd's <c>isTxnReadonly</c>: every op of both branches is a range (a nested txn counts as a write).</summary>
    public static bool IsReadOnly(TxnRequest request)
    {
        foreach (var op in request.Success)
        {
            if (op.RequestCase != RequestOp.RequestOneofCase.RequestRange)
            {
                return false;
            }
        }

        foreach (var op in request.Failure)
        {
            if (op.RequestCase != RequestOp.RequestOneofCase.RequestRange)
            {
                return false;
            }
        }

        return true;
    }
}
