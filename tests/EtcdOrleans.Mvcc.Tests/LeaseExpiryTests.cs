using EtcdOrleans.Mvcc;

namespace EtcdOrleans.Mvcc.Tests;

/// <summary>The leader's lease clock, driven by explicit times.</summary>
public sealed class LeaseExpiryTests
{
    private static readonly TimeSpan Extend = TimeSpan.FromSeconds(1);

    private static TimeSpan At(double seconds) => TimeSpan.FromSeconds(seconds);

    private static LeaseTable Table(params (long Id, long Ttl)[] leases)
    {
        var store = new MvccStore();
        foreach (var (id, ttl) in leases)
        {
            store.Apply(Effect.LeaseGrant(1, id, ttl));
        }

        return store.Leases;
    }

    [Fact]
    public void NothingExpiresBeforePromotion()
    {
        var expiry = new LeaseExpiry();
        expiry.Granted(1, 5, At(0));

        Assert.False(expiry.IsPrimary);
        Assert.Empty(expiry.TakeExpired(At(100), 10));
        Assert.Equal(TimeSpan.MaxValue, expiry.Remaining(1, At(100)));
        Assert.False(expiry.TryRenew(1, 5, At(100)));
    }

    [Fact]
    public void PromotionGivesEveryLeaseItsFullTtlPlusTheExtension()
    {
        var expiry = new LeaseExpiry();
        expiry.Promote(Table((1, 5), (2, 10)).All, At(100), Extend);

        Assert.Equal(At(6), expiry.Remaining(1, At(100)));
        Assert.Equal(At(11), expiry.Remaining(2, At(100)));
        Assert.Empty(expiry.TakeExpired(At(105.9), 10));
        Assert.Equal([1L], expiry.TakeExpired(At(106), 10));
    }

    [Fact]
    public void RenewalPushesTheExpiryAndAnExpiredLeaseCannotBeRenewed()
    {
        var expiry = new LeaseExpiry();
        expiry.Promote([], At(0), Extend);
        expiry.Granted(1, 5, At(0));

        Assert.True(expiry.TryRenew(1, 5, At(4)));
        Assert.Empty(expiry.TakeExpired(At(8.5), 10));
        Assert.Equal(At(0.5), expiry.Remaining(1, At(8.5)));
        Assert.False(expiry.IsExpired(1, At(8.5)));
        Assert.True(expiry.IsExpired(1, At(9)));
        Assert.False(expiry.TryRenew(1, 5, At(9)));
        Assert.Equal(At(-1), expiry.Remaining(1, At(10)));
    }

    [Fact]
    public void AnExpiredLeaseIsReportedAgainOnlyAfterTheRetryIntervalUntilRevoked()
    {
        var expiry = new LeaseExpiry();
        expiry.Promote([], At(0), Extend);
        expiry.Granted(1, 2, At(0));
        expiry.Granted(2, 3, At(0));

        Assert.Equal([1L, 2L], expiry.TakeExpired(At(3), 10));
        Assert.Empty(expiry.TakeExpired(At(5.9), 10));
        Assert.Equal([1L, 2L], expiry.TakeExpired(At(6), 10));
        expiry.Revoked(1);
        Assert.Equal([2L], expiry.TakeExpired(At(9), 10));
    }

    [Fact]
    public void TakeExpiredHonoursTheLimitEarliestFirst()
    {
        var expiry = new LeaseExpiry();
        expiry.Promote(Table((3, 4), (1, 2), (2, 3)).All, At(0), TimeSpan.Zero);

        Assert.Equal([1L, 2L], expiry.TakeExpired(At(10), 2));
        Assert.Equal([3L], expiry.TakeExpired(At(10), 2));
    }

    [Fact]
    public void DemotionForgetsEveryExpiry()
    {
        var expiry = new LeaseExpiry();
        expiry.Promote(Table((1, 2)).All, At(0), Extend);

        expiry.Demote();

        Assert.False(expiry.IsPrimary);
        Assert.Equal(0, expiry.Count);
        Assert.Empty(expiry.TakeExpired(At(100), 10));
    }
}
