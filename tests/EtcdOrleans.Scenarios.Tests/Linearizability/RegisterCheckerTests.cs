namespace EtcdOrleans.Scenarios.Tests.Linearizability;

/// <summary>The checker itself: histories whose verdict is known by hand.</summary>
public sealed class RegisterCheckerTests
{
    private static RegisterOp Write(int client, long from, long? to, string value) => new(client, RegisterOperation.Write, from, to, Value: value);

    private static RegisterOp Read(int client, long from, long? to, string? seen) => new(client, RegisterOperation.Read, from, to, ReadValue: seen);

    private static RegisterOp Cas(int client, long from, long? to, string? expected, string value, bool succeeded) =>
        new(client, RegisterOperation.CompareAndSet, from, to, Value: value, Expected: expected, Succeeded: succeeded);

    [Fact]
    public void SequentialHistory_IsLinearizable() =>
        Assert.True(RegisterChecker.Check([Write(1, 0, 1, "a"), Read(2, 2, 3, "a"), Cas(1, 4, 5, "a", "b", true), Read(2, 6, 7, "b")]).Linearizable);

    [Fact]
    public void ReadOfAnOverwrittenValue_AfterTheOverwriteReturned_IsNot()
    {
        // The stale read a deposed leader would give: "a" after "b" was acknowledged.
        var result = RegisterChecker.Check([Write(1, 0, 1, "a"), Write(1, 2, 3, "b"), Read(2, 4, 5, "a")]);
        Assert.True(result.Decided);
        Assert.False(result.Linearizable, result.Explanation);
    }

    [Fact]
    public void ConcurrentReads_MaySeeEitherSideOfAConcurrentWrite()
    {
        Assert.True(RegisterChecker.Check([Write(1, 0, 1, "a"), Write(1, 2, 10, "b"), Read(2, 3, 4, "b"), Read(3, 5, 6, "b")]).Linearizable);

        // But once one read saw the new value, a later read cannot see the old one.
        Assert.False(RegisterChecker.Check([Write(1, 0, 1, "a"), Write(1, 2, 10, "b"), Read(2, 3, 4, "b"), Read(3, 5, 6, "a")]).Linearizable);
    }

    [Fact]
    public void UnansweredWrite_MayTakeEffectLate_OrNever()
    {
        Assert.True(RegisterChecker.Check([Write(1, 0, 1, "a"), Write(2, 2, null, "b"), Read(3, 5, 6, "a"), Read(3, 7, 8, "b")]).Linearizable);
        Assert.True(RegisterChecker.Check([Write(1, 0, 1, "a"), Write(2, 2, null, "b"), Read(3, 5, 6, "a")]).Linearizable);

        // Not before it was invoked.
        Assert.False(RegisterChecker.Check([Write(1, 0, 1, "a"), Read(3, 2, 3, "b"), Write(2, 4, null, "b")]).Linearizable);
    }

    [Fact]
    public void FailedCompareAndSet_MustHaveSeenAnotherValue()
    {
        Assert.True(RegisterChecker.Check([Write(1, 0, 1, "a"), Cas(2, 2, 3, "x", "y", false)]).Linearizable);
        Assert.False(RegisterChecker.Check([Write(1, 0, 1, "a"), Cas(2, 2, 3, "a", "y", false)]).Linearizable);
        Assert.True(RegisterChecker.Check([Cas(2, 0, 1, null, "y", true), Read(1, 2, 3, "y")]).Linearizable);
    }

    [Fact]
    public void ReadOfAValueNeverWritten_IsNot() =>
        Assert.False(RegisterChecker.Check([Write(1, 0, 1, "a"), Read(2, 0, 5, "z")]).Linearizable);
}
