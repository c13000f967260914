using EtcdOrleans.Grains.Replicas;

namespace EtcdOrleans.Grains.Tests;

/// <summary>The auto-compaction policies against etcd 3.4's compactors (v3compactor's periodic and revision), on a fake clock.</summary>
public sealed class AutoCompactionTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>Drives a compactor tick by tick (100 ms) for <paramref name="duration"/>, the revision growing by 1 per second.</summary>
    private static List<(TimeSpan At, long Revision)> Run(IAutoCompactor compactor, TimeSpan duration, Func<long, bool>? succeeds = null, Func<TimeSpan, bool>? leading = null)
    {
        var compactions = new List<(TimeSpan, long)>();
        for (var at = TimeSpan.Zero; at <= duration; at += TimeSpan.FromMilliseconds(100))
        {
            var revision = 1 + (long)at.TotalSeconds;
            if (compactor.Due(T0 + at, revision, leading?.Invoke(at) ?? true) is { } due)
            {
                compactions.Add((at, due));
                compactor.Completed(T0 + at, due, succeeds?.Invoke(due) ?? true);
            }
        }

        return compactions;
    }

    [Fact]
    public void PeriodicOneHour_CompactsEveryHourToTheRevisionOfAnHourAndASampleBefore()
    {
        var compactor = new AutoCompactionOptions { Mode = "periodic", Retention = "1h" }.CreateCompactor(T0)!;

        var compactions = Run(compactor, TimeSpan.FromHours(3.5));

        // The first at the revision of an hour ago; then, as etcd's sliding window of period / interval + 1 samples
        // gives, the revision of an hour and one sampling interval (6 minutes) ago.
        Assert.Equal([TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(3)], compactions.Select(c => c.At));
        Assert.Equal([1L, 1 + 3240, 1 + 6840], compactions.Select(c => c.Revision));
    }

    [Fact]
    public void PeriodicOneDay_WaitsADayThenCompactsHourlyKeepingADay()
    {
        var compactor = new AutoCompactionOptions { Mode = "periodic", Retention = "24" }.CreateCompactor(T0)!;

        var compactions = Run(compactor, TimeSpan.FromHours(26.5));

        Assert.Equal([TimeSpan.FromHours(24), TimeSpan.FromHours(25), TimeSpan.FromHours(26)], compactions.Select(c => c.At));
        Assert.Equal([1L, 1 + 3240, 1 + 6840], compactions.Select(c => c.Revision));
    }

    [Fact]
    public void Periodic_AFailedCompactionIsRetriedATenthOfThePeriodLater()
    {
        var compactor = new AutoCompactionOptions { Mode = "periodic", Retention = "10s" }.CreateCompactor(T0)!;
        var failures = 1;

        var compactions = Run(compactor, TimeSpan.FromSeconds(12.5), _ => failures-- <= 0);

        Assert.Equal([TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(11)], compactions.Select(c => c.At));
    }

    [Fact]
    public void Revision_CompactsEveryFiveMinutesKeepingTheRetention()
    {
        var compactor = new AutoCompactionOptions { Mode = "revision", Retention = "100" }.CreateCompactor(T0)!;

        var compactions = Run(compactor, TimeSpan.FromMinutes(16));

        Assert.Equal([TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(15)], compactions.Select(c => c.At));
        Assert.Equal([301L - 100, 601 - 100, 901 - 100], compactions.Select(c => c.Revision));
    }

    [Fact]
    public void Revision_NothingToCompactWhileTheStoreIsYoungerThanTheRetentionOrUnchanged()
    {
        var compactor = new AutoCompactionOptions { Mode = "revision", Retention = "1000" }.CreateCompactor(T0)!;

        Assert.Null(compactor.Due(T0 + TimeSpan.FromMinutes(5), 1000, leading: true));
        Assert.Equal(500L, compactor.Due(T0 + TimeSpan.FromMinutes(10), 1500, leading: true));
        compactor.Completed(T0 + TimeSpan.FromMinutes(10), 500, succeeded: true);
        Assert.Null(compactor.Due(T0 + TimeSpan.FromMinutes(15), 1500, leading: true));
    }

    [Fact]
    public void Periodic_AReplicaThatBecomesLeaderCompactsOnTheScheduleItSampledAsAFollower()
    {
        // A follower for the first 90 minutes, leader after: it compacts at once, to the revision of one period and
        // one sampling interval before, as etcd's resumed compactor does; nothing while it follows.
        var compactor = new AutoCompactionOptions { Mode = "periodic", Retention = "1h" }.CreateCompactor(T0)!;

        var compactions = Run(compactor, TimeSpan.FromHours(2.2), leading: at => at >= TimeSpan.FromMinutes(90));

        Assert.Equal([TimeSpan.FromMinutes(90)], compactions.Select(c => c.At));
        Assert.Equal([1L + (24 * 60)], compactions.Select(c => c.Revision));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("")]
    [InlineData("0s")]
    [InlineData("0h")]
    public void NoRetentionMeansNoAutoCompaction(string retention) =>
        Assert.Null(new AutoCompactionOptions { Mode = "periodic", Retention = retention }.CreateCompactor(T0));

    [Theory]
    [InlineData("periodic", "1h30m", true)]
    [InlineData("periodic", "5s", true)]
    [InlineData("periodic", "2", true)]
    [InlineData("periodic", "1x", false)]
    [InlineData("periodic", "-1", false)]
    [InlineData("revision", "1h", false)]
    [InlineData("monthly", "1", false)]
    public void TheOptionsAreCheckedAtStart(string mode, string retention, bool valid) =>
        Assert.Equal(valid, AutoCompactionOptions.IsValid(new AutoCompactionOptions { Mode = mode, Retention = retention }));
}
