namespace EtcdOrleans.Mvcc;

/// <summary>Execution of puts, deletes and txns, following etcd's applierV3backend.</summary>
public sealed partial class Sequencer
{
    private PutResponse ResolvePut(PutRequest put, WriteBatch write)
    {
        // A plain put checks the lease before reading the previous value.
        if (put.Lease != 0 && !_state.Leases.Exists(put.Lease))
        {
            MvccErrors.Throw(MvccError.LeaseNotFound);
        }

        return ExecutePut(put, write);
    }

    private PutResponse ExecutePut(PutRequest put, WriteBatch write)
    {
        var previous = _state.Find(put.Key)?.Get(write.ReadRevision);
        if ((put.IgnoreValue || put.IgnoreLease) && previous is null)
        {
            MvccErrors.Throw(MvccError.KeyNotFound);
        }

        var value = put.IgnoreValue ? previous!.Value : put.Value;
        var lease = put.IgnoreLease ? previous!.Lease : put.Lease;
        var create = previous?.CreateRevision ?? write.Revision;
        var version = (previous?.Version ?? 0) + 1;
        var sub = write.Changes.Count;
        _state.WritePut(new KeyValue(put.Key, value, create, write.Revision, version, lease), sub);
        write.Changes.Add(KeyChange.Put(put.Key, value, lease, create, version, sub));
        return new PutResponse { PrevKv = put.PrevKv ? previous : null, Revision = write.Revision };
    }

    private DeleteRangeResponse ExecuteDelete(DeleteRangeRequest delete, WriteBatch write)
    {
        var live = _state.LiveAt(KeyRange.FromEtcd(delete.Key, delete.RangeEnd), write.ReadRevision);
        foreach (var kv in live)
        {
            var sub = write.Changes.Count;
            _state.WriteTombstone(kv.Key, new Revision(write.Revision, sub));
            write.Changes.Add(KeyChange.Delete(kv.Key, sub));
        }

        return new DeleteRangeResponse
        {
            Deleted = live.Count,
            PrevKvs = delete.PrevKv ? live : [],
            Revision = write.ReadRevision,
        };
    }

    private TxnResponse ResolveTxn(TxnRequest txn, WriteBatch write)
    {
        // etcd: every compare of the txn and of the nested txns on the taken path is evaluated against the
        // state before the txn; then puts on the path are checked (key exists for ignore_*; lease exists),
        // then ranges on the path (revision not future, not compacted); only then are the ops executed.
        var beginRevision = write.Revision - 1;
        var plan = Plan(txn, beginRevision);
        CheckPuts(plan, beginRevision);
        CheckRanges(plan, beginRevision);
        var response = Execute(plan, write);
        return response;
    }

    private TxnPlan Plan(TxnRequest txn, long atRevision)
    {
        var succeeded = true;
        foreach (var compare in txn.Compares)
        {
            if (!Holds(compare, atRevision))
            {
                succeeded = false;
                break;
            }
        }

        var ops = succeeded ? txn.Success : txn.Failure;
        var nested = new TxnPlan?[ops.Count];
        for (var i = 0; i < ops.Count; i++)
        {
            if (ops[i] is TxnRequest inner)
            {
                nested[i] = Plan(inner, atRevision);
            }
        }

        return new TxnPlan(succeeded, ops, nested);
    }

    private bool Holds(Compare compare, long atRevision)
    {
        var kvs = _state.LiveAt(KeyRange.FromEtcd(compare.Key, compare.RangeEnd), atRevision);
        if (kvs.Count == 0)
        {
            // A value compare on missing keys always fails; other targets compare against zero.
            return compare.Target != CompareTarget.Value && CompareKeyValue(compare, null);
        }

        foreach (var kv in kvs)
        {
            if (!CompareKeyValue(compare, kv))
            {
                return false;
            }
        }

        return true;
    }

    private static bool CompareKeyValue(Compare compare, KeyValue? kv)
    {
        var result = compare.Target switch
        {
            CompareTarget.Value => KeyBytes.Compare(kv?.Value ?? [], compare.Value ?? []),
            CompareTarget.Create => (kv?.CreateRevision ?? 0).CompareTo(compare.Number),
            CompareTarget.Mod => (kv?.ModRevision ?? 0).CompareTo(compare.Number),
            CompareTarget.Version => (kv?.Version ?? 0).CompareTo(compare.Number),
            CompareTarget.Lease => (kv?.Lease ?? 0).CompareTo(compare.Number),
            _ => 0,
        };
        return compare.Result switch
        {
            CompareResult.Equal => result == 0,
            CompareResult.NotEqual => result != 0,
            CompareResult.Greater => result > 0,
            CompareResult.Less => result < 0,
            _ => true,
        };
    }

    private void CheckPuts(TxnPlan plan, long beginRevision)
    {
        for (var i = 0; i < plan.Ops.Count; i++)
        {
            switch (plan.Ops[i])
            {
                case TxnRequest:
                    CheckPuts(plan.Nested[i]!, beginRevision);
                    break;
                case PutRequest put:
                    if ((put.IgnoreValue || put.IgnoreLease) && _state.Find(put.Key)?.Get(beginRevision) is null)
                    {
                        MvccErrors.Throw(MvccError.KeyNotFound);
                    }

                    if (put.Lease != 0 && !_state.Leases.Exists(put.Lease))
                    {
                        MvccErrors.Throw(MvccError.LeaseNotFound);
                    }

                    break;
            }
        }
    }

    private void CheckRanges(TxnPlan plan, long beginRevision)
    {
        for (var i = 0; i < plan.Ops.Count; i++)
        {
            switch (plan.Ops[i])
            {
                case TxnRequest:
                    CheckRanges(plan.Nested[i]!, beginRevision);
                    break;
                case RangeRequest { Revision: not 0 } range:
                    if (range.Revision > beginRevision)
                    {
                        MvccErrors.Throw(MvccError.FutureRevision);
                    }

                    if (range.Revision < _state.CompactedRevision)
                    {
                        MvccErrors.Throw(MvccError.Compacted);
                    }

                    break;
            }
        }
    }

    private TxnResponse Execute(TxnPlan plan, WriteBatch write)
    {
        var responses = new MvccResponse[plan.Ops.Count];
        for (var i = 0; i < plan.Ops.Count; i++)
        {
            responses[i] = plan.Ops[i] switch
            {
                RangeRequest range => _state.Range(range, write.ReadRevision),
                PutRequest put => ExecutePut(put, write),
                DeleteRangeRequest delete => ExecuteDelete(delete, write),
                TxnRequest => Execute(plan.Nested[i]!, write),
                var other => throw new ArgumentException($"Unsupported txn op {other.GetType().Name}."),
            };
        }

        // etcd's header revision: the new revision when the txn wrote something, else the begin revision.
        return new TxnResponse { Succeeded = plan.Succeeded, Responses = responses, Revision = write.ReadRevision };
    }

    /// <summary>The branch a txn takes (decided before any op runs) and the plans of its nested txns.</summary>
    private sealed record TxnPlan(bool Succeeded, IReadOnlyList<MvccRequest> Ops, TxnPlan?[] Nested);
}
