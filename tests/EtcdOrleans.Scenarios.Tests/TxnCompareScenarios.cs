using EtcdOrleans.Scenarios.Tests.Support;
using EtcdOrleans.Scenarios.Tests.Targets;
using Etcdserverpb;
using CompareResult = Etcdserverpb.Compare.Types.CompareResult;
using CompareTarget = Etcdserverpb.Compare.Types.CompareTarget;

namespace EtcdOrleans.Scenarios.Tests;

/// <summary>
/// Txn compares: every target with every result, against an operand below, equal to and above the key's actual
/// value; compares on missing keys and over ranges.
/// </summary>
public abstract class TxnCompareScenarios(EtcdTargetFixture fixture)
{
    public static TheoryData<CompareTarget, CompareResult> EveryTargetAndResult()
    {
        var data = new TheoryData<CompareTarget, CompareResult>();
        foreach (var target in Enum.GetValues<CompareTarget>())
        {
            foreach (var result in Enum.GetValues<CompareResult>())
            {
                data.Add(target, result);
            }
        }

        return data;
    }

    /// <summary>
    /// The key "k" is written at +1 and +2 with value "m" and a lease, so its version is 2, create +1, mod +2.
    /// Each compare is tried with an operand below, equal to and above the actual value.
    /// </summary>
    [Theory]
    [MemberData(nameof(EveryTargetAndResult))]
    public async Task CompareOfAnExistingKey(CompareTarget target, CompareResult result)
    {
        var s = await fixture.BeginAsync();
        var lease = await s.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = 300 });
        await s.PutAsync("k", "m", lease: lease.ID);
        await s.PutAsync("k", "m", lease: lease.ID);
        object[] operands = target switch
        {
            CompareTarget.Version => [1L, 2L, 3L],
            CompareTarget.Create => [s.Rev(0), s.Rev(1), s.Rev(2)],
            CompareTarget.Mod => [s.Rev(1), s.Rev(2), s.Rev(3)],
            CompareTarget.Value => ["l", "m", "mm"],
            _ => [lease.ID - 1, lease.ID, lease.ID + 1],
        };

        var outcomes = new List<bool>();
        foreach (var operand in operands)
        {
            var txn = await s.Client.TransactionAsync(Ops.Txn([s.Compare("k", target, result, operand)], [s.Get("k")]));
            Assert.Equal(s.Rev(2), txn.Header.Revision);
            Assert.Equal(txn.Succeeded ? 1 : 0, txn.Responses.Count);
            outcomes.Add(txn.Succeeded);
        }

        // Actual vs operand: greater, equal, less.
        bool[] expected = result switch
        {
            CompareResult.Equal => [false, true, false],
            CompareResult.Greater => [true, false, false],
            CompareResult.Less => [false, false, true],
            _ => [true, false, true],
        };
        Assert.Equal(expected, outcomes);
        await s.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease.ID });
    }

    /// <summary>
    /// A missing key compares as a key whose version, create and mod revisions and lease are 0, except that a
    /// value compare on a missing key always fails, whatever the result (even NOT_EQUAL).
    /// </summary>
    [Theory]
    [MemberData(nameof(EveryTargetAndResult))]
    public async Task CompareOfAMissingKey(CompareTarget target, CompareResult result)
    {
        var s = await fixture.BeginAsync();
        object[] operands = target == CompareTarget.Value ? ["", "x"] : [0L, 1L];

        var outcomes = new List<bool>();
        foreach (var operand in operands)
        {
            var txn = await s.Client.TransactionAsync(Ops.Txn([s.Compare("missing", target, result, operand)], []));
            outcomes.Add(txn.Succeeded);
        }

        bool[] expected = (target, result) switch
        {
            (CompareTarget.Value, _) => [false, false],
            (_, CompareResult.Equal) => [true, false],
            (_, CompareResult.Less) => [false, true],
            (_, CompareResult.NotEqual) => [false, true],
            _ => [false, false],
        };
        Assert.Equal(expected, outcomes);
    }

    [Fact]
    public async Task AValueCompareWithAnEmptyValueMatchesAKeyWithAnEmptyValue()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("empty", "");

        var equal = await s.Client.TransactionAsync(Ops.Txn([s.Compare("empty", CompareTarget.Value, CompareResult.Equal, "")], []));
        var less = await s.Client.TransactionAsync(Ops.Txn([s.Compare("empty", CompareTarget.Value, CompareResult.Less, "a")], []));

        Assert.True(equal.Succeeded);
        Assert.True(less.Succeeded);
    }

    [Fact]
    public async Task ValuesCompareAsBytesNotAsText()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("ten", "10");
        await s.PutAsync("upper", "Z");

        var tenLessThanNine = await s.Client.TransactionAsync(Ops.Txn([s.Compare("ten", CompareTarget.Value, CompareResult.Less, "9")], []));
        var upperLessThanLower = await s.Client.TransactionAsync(Ops.Txn([s.Compare("upper", CompareTarget.Value, CompareResult.Less, "a")], []));
        var prefixIsLess = await s.Client.TransactionAsync(Ops.Txn([s.Compare("ten", CompareTarget.Value, CompareResult.Greater, "1")], []));

        Assert.True(tenLessThanNine.Succeeded);
        Assert.True(upperLessThanLower.Succeeded);
        Assert.True(prefixIsLess.Succeeded);
    }

    /// <summary>With a range end, a compare holds when it holds for every key in the range; an empty range compares like a missing key.</summary>
    [Fact]
    public async Task CompareOverARangeMustHoldForEveryKeyInIt()
    {
        var s = await fixture.BeginAsync();
        await s.PutAsync("r/a", "1");
        await s.PutAsync("r/b", "2");
        await s.PutAsync("r/b", "2");
        var from = s.K("r/");
        var to = Bytes.PrefixEnd(from);

        async Task<bool> Holds(CompareTarget target, CompareResult result, object operand, Google.Protobuf.ByteString? end = null) =>
            (await s.Client.TransactionAsync(Ops.Txn([Ops.Compare(from, target, result, operand, end ?? to)], []))).Succeeded;

        Assert.True(await Holds(CompareTarget.Version, CompareResult.Greater, 0L));
        Assert.False(await Holds(CompareTarget.Version, CompareResult.Equal, 1L));
        Assert.True(await Holds(CompareTarget.Version, CompareResult.Less, 3L));
        Assert.True(await Holds(CompareTarget.Value, CompareResult.Greater, "0"));
        Assert.False(await Holds(CompareTarget.Value, CompareResult.Equal, "1"));
        Assert.True(await Holds(CompareTarget.Mod, CompareResult.Less, s.Rev(4)));
        Assert.False(await Holds(CompareTarget.Create, CompareResult.Equal, s.Rev(1)));
        Assert.True(await Holds(CompareTarget.Lease, CompareResult.Equal, 0L));

        // An empty range: version 0 holds, a value compare fails.
        var emptyFrom = s.K("none/");
        Assert.True((await s.Client.TransactionAsync(Ops.Txn([Ops.Compare(emptyFrom, CompareTarget.Version, CompareResult.Equal, 0L, Bytes.PrefixEnd(emptyFrom))], []))).Succeeded);
        Assert.False((await s.Client.TransactionAsync(Ops.Txn([Ops.Compare(emptyFrom, CompareTarget.Value, CompareResult.NotEqual, "x", Bytes.PrefixEnd(emptyFrom))], []))).Succeeded);
    }

    [Fact]
    public async Task CompareAndSwapLetsOnlyTheFirstOfTwoWritersWin()
    {
        var s = await fixture.BeginAsync();
        var created = await s.Client.TransactionAsync(Ops.Txn([s.Compare("lock", CompareTarget.Create, CompareResult.Equal, 0L)], [s.Put("lock", "me")], [s.Get("lock")]));
        var second = await s.Client.TransactionAsync(Ops.Txn([s.Compare("lock", CompareTarget.Create, CompareResult.Equal, 0L)], [s.Put("lock", "you")], [s.Get("lock")]));
        var swap = await s.Client.TransactionAsync(Ops.Txn([s.Compare("lock", CompareTarget.Mod, CompareResult.Equal, s.Rev(1))], [s.Put("lock", "swapped")]));
        var staleSwap = await s.Client.TransactionAsync(Ops.Txn([s.Compare("lock", CompareTarget.Mod, CompareResult.Equal, s.Rev(1))], [s.Put("lock", "stale")]));

        Assert.Equal((true, false, true, false), (created.Succeeded, second.Succeeded, swap.Succeeded, staleSwap.Succeeded));
        Assert.Equal("me", Assert.Single(second.Responses[0].ResponseRange.Kvs).Value.ToStringUtf8());
        Assert.Equal(s.Rev(2), staleSwap.Header.Revision);
        Assert.Equal("swapped", Assert.Single((await s.GetAsync("lock")).Kvs).Value.ToStringUtf8());
    }
}

public sealed class TxnCompareScenariosOnEtcd(EtcdFixture fixture) : TxnCompareScenarios(fixture), IClassFixture<EtcdFixture>;

[Collection(TargetCollection.Name)]
public sealed class TxnCompareScenariosOnTarget(TargetFixture fixture) : TxnCompareScenarios(fixture);
