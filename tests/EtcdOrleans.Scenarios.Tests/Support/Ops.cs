using Etcdserverpb;
using Google.Protobuf;
using CompareResult = Etcdserverpb.Compare.Types.CompareResult;
using CompareTarget = Etcdserverpb.Compare.Types.CompareTarget;

namespace EtcdOrleans.Scenarios.Tests.Support;

/// <summary>Builders for the parts of a TxnRequest, on the keys of one scenario.</summary>
public static class Ops
{
    public static RequestOp Put(this Scenario s, string name, string value, long lease = 0, bool prevKv = false) =>
        new() { RequestPut = new PutRequest { Key = s.K(name), Value = Bytes.Of(value), Lease = lease, PrevKv = prevKv } };

    public static RequestOp Get(this Scenario s, string name, long revision = 0) =>
        new() { RequestRange = new RangeRequest { Key = s.K(name), Revision = revision } };

    /// <summary>A range over [from, to) of the scenario's keys.</summary>
    public static RequestOp GetRange(this Scenario s, string from, string to) =>
        new() { RequestRange = new RangeRequest { Key = s.K(from), RangeEnd = s.K(to) } };

    public static RequestOp Delete(this Scenario s, string name, bool prevKv = false) =>
        new() { RequestDeleteRange = new DeleteRangeRequest { Key = s.K(name), PrevKv = prevKv } };

    /// <summary>A delete of [from, to) of the scenario's keys.</summary>
    public static RequestOp DeleteRange(this Scenario s, string from, string to, bool prevKv = false) =>
        new() { RequestDeleteRange = new DeleteRangeRequest { Key = s.K(from), RangeEnd = s.K(to), PrevKv = prevKv } };

    public static RequestOp Txn(TxnRequest txn) => new() { RequestTxn = txn };

    public static TxnRequest Txn(IEnumerable<Compare> compares, IEnumerable<RequestOp> success, IEnumerable<RequestOp>? failure = null)
    {
        var txn = new TxnRequest();
        txn.Compare.AddRange(compares);
        txn.Success.AddRange(success);
        txn.Failure.AddRange(failure ?? []);
        return txn;
    }

    /// <summary>A compare of one key's (or, with <paramref name="rangeEnd"/>, every key's in a range) target with an operand.</summary>
    public static Compare Compare(ByteString key, CompareTarget target, CompareResult result, object operand, ByteString? rangeEnd = null)
    {
        var compare = new Compare { Key = key, Target = target, Result = result };
        if (rangeEnd is not null)
        {
            compare.RangeEnd = rangeEnd;
        }

        switch (target)
        {
            case CompareTarget.Version:
                compare.Version = Convert.ToInt64(operand, System.Globalization.CultureInfo.InvariantCulture);
                break;
            case CompareTarget.Create:
                compare.CreateRevision = Convert.ToInt64(operand, System.Globalization.CultureInfo.InvariantCulture);
                break;
            case CompareTarget.Mod:
                compare.ModRevision = Convert.ToInt64(operand, System.Globalization.CultureInfo.InvariantCulture);
                break;
            case CompareTarget.Value:
                compare.Value = Bytes.Of((string)operand);
                break;
            case CompareTarget.Lease:
                compare.Lease = Convert.ToInt64(operand, System.Globalization.CultureInfo.InvariantCulture);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(target), target, null);
        }

        return compare;
    }

    public static Compare Compare(this Scenario s, string name, CompareTarget target, CompareResult result, object operand) =>
        Compare(s.K(name), target, result, operand);
}
