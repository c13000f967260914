using EtcdOrleans.Protos.Etcdserverpb;
using Google.Protobuf;
using Google.Protobuf.Collections;

namespace EtcdOrleans.Gateway.Kv;

/// <summary>
/// The duplicate-key rule of etcd's <c>checkIntervals</c>: within one branch of a txn, no key may be written
/// twice, whether by two puts or by a put and a delete range that covers it. Nested txns are walked with etcd's
/// exact rules, which are order-sensitive:
/// <list type="number">
/// <item>This level's delete ranges are collected first.</item>
/// <item>Then, for each nested txn in order, its then-puts and its else-puts (each branch checked recursively) are
/// checked against the puts and deletes collected so far; an else-put may repeat a then-put of the same nested txn
/// (only one branch runs), but no other put. Its deletes are added only after its puts were checked, so a
/// nested delete is checked against later puts, never against earlier ones.</item>
/// <item>Last, this level's puts are checked against every put and delete collected (nested ones included).</item>
/// </list>
/// </summary>
internal static class TxnWriteSets
{
    /// <summary>Collects the keys put and the ranges deleted by <paramref name="ops"/>; false on a duplicate key.</summary>
    public static bool TryCollect(RepeatedField<RequestOp> ops, out HashSet<ByteString> puts, out KeyIntervalSet deletes)
    {
        puts = [];
        deletes = new KeyIntervalSet();

        foreach (var op in ops)
        {
            if (op.RequestCase == RequestOp.RequestOneofCase.RequestDeleteRange)
            {
                var delete = op.RequestDeleteRange;
                if (delete.RangeEnd.IsEmpty)
                {
                    deletes.AddKey(delete.Key);
                }
                else
                {
                    deletes.Add(delete.Key, delete.RangeEnd);
                }
            }
        }

        foreach (var op in ops)
        {
            if (op.RequestCase != RequestOp.RequestOneofCase.RequestTxn)
            {
                continue;
            }

            var nested = op.RequestTxn;
            if (!TryCollect(nested.Success, out var thenPuts, out var thenDeletes) ||
                !TryCollect(nested.Failure, out var elsePuts, out var elseDeletes))
            {
                return false;
            }

            foreach (var key in thenPuts)
            {
                if (!puts.Add(key) || deletes.Contains(key))
                {
                    return false;
                }
            }

            foreach (var key in elsePuts)
            {
                if ((puts.Contains(key) && !thenPuts.Contains(key)) || deletes.Contains(key))
                {
                    return false;
                }

                puts.Add(key);
            }

            deletes.AddAll(thenDeletes);
            deletes.AddAll(elseDeletes);
        }

        foreach (var op in ops)
        {
            if (op.RequestCase != RequestOp.RequestOneofCase.RequestPut)
            {
                continue;
            }

            var key = op.RequestPut.Key;
            if (!puts.Add(key) || deletes.Contains(key))
            {
                return false;
            }
        }

        return true;
    }
}
