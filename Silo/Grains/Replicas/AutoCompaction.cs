using System.Globalization;

namespace EtcdOrleans.Grains.Replicas;

/// <summary>
/// etcd's <c>--auto-compaction-mode</c> and <c>--auto-compaction-retention</c>, bound from the
/// <c>EtcdOrleans:AutoCompaction</c> configuration section. Off unless a retention is given, as in etcd.
/// </summary>
public sealed class AutoCompactionOptions
{
    /// <summary><c>periodic</c> (the default, as etcd's) or <c>revision</c>.</summary>
    public string Mode { get; set; } = "periodic";

    /// <summary>
    /// Periodic: how long history is kept, as a duration ("1h", "30m", "5s") or a number of hours ("1"); revision: how
    /// many revisions are kept. Empty or "0": no auto-compaction (etcd's default).
    /// </summary>
    public string Retention { get; set; } = "0";

    /// <summary>True when <see cref="CreateCompactor"/> accepts the options.</summary>
    public static bool IsValid(AutoCompactionOptions options)
    {
        try
        {
            options.CreateCompactor(DateTime.UtcNow);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The compactor these options describe, or null when auto-compaction is off.</summary>
    public IAutoCompactor? CreateCompactor(DateTime now)
    {
        var retention = Retention.Trim();
        if (retention.Length == 0 || retention.TrimEnd('h', 'm', 's').TrimStart('0').Length == 0)
        {
            // "0", "0h", "0s", "0ms": off, as in etcd.
            return null;
        }

        switch (Mode.Trim().ToLowerInvariant())
        {
            case "periodic":
                return new PeriodicCompactor(ParsePeriod(retention), now);
            case "revision":
                if (!long.TryParse(retention, NumberStyles.None, CultureInfo.InvariantCulture, out var revisions) || revisions <= 0)
                {
                    throw new ArgumentException($"auto-compaction-retention '{retention}' is not a number of revisions");
                }

                return new RevisionCompactor(revisions, now);
            default:
                throw new ArgumentException($"unknown auto-compaction-mode '{Mode}' (periodic or revision)");
        }
    }

    /// <summary>etcd's parsing: a bare number is hours, otherwise a Go duration (here h, m, s or ms, possibly combined).</summary>
    private static TimeSpan ParsePeriod(string retention)
    {
        if (long.TryParse(retention, NumberStyles.None, CultureInfo.InvariantCulture, out var hours))
        {
            return TimeSpan.FromHours(hours);
        }

        var total = TimeSpan.Zero;
        var rest = retention.AsSpan();
        while (!rest.IsEmpty)
        {
            var digits = 0;
            while (digits < rest.Length && (char.IsAsciiDigit(rest[digits]) || rest[digits] == '.'))
            {
                digits++;
            }

            var unit = digits;
            while (unit < rest.Length && char.IsAsciiLetter(rest[unit]))
            {
                unit++;
            }

            if (digits == 0 || !double.TryParse(rest[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            {
                throw new ArgumentException($"auto-compaction-retention '{retention}' is not a duration");
            }

            total += rest[digits..unit] switch
            {
                "h" => TimeSpan.FromHours(value),
                "m" => TimeSpan.FromMinutes(value),
                "s" => TimeSpan.FromSeconds(value),
                "ms" => TimeSpan.FromMilliseconds(value),
                _ => throw new ArgumentException($"auto-compaction-retention '{retention}' has an unknown unit"),
            };
            rest = rest[unit..];
        }

        if (total <= TimeSpan.Zero)
        {
            throw new ArgumentException($"auto-compaction-retention '{retention}' is not positive");
        }

        return total;
    }
}

/// <summary>
/// Decides when the leader compacts and to which revision. Every replica runs one from its activation, driven by its
/// ticks; only the leader's may compact (etcd pauses the compactor on followers: it keeps sampling and keeps the time
/// of its last success, so a new leader compacts on schedule).
/// </summary>
public interface IAutoCompactor
{
    /// <summary>
    /// The revision to compact to now, or null; called often (every tick) with the store's current revision. While
    /// not <paramref name="leading"/> it only samples.
    /// </summary>
    long? Due(DateTime now, long currentRevision, bool leading);

    /// <summary>The compaction <see cref="Due"/> asked for finished: done (or already compacted) or failed.</summary>
    void Completed(DateTime now, long revision, bool succeeded);
}

/// <summary>
/// etcd 3.4's periodic compactor: samples the revision every tenth of the period (of at most an hour); once a whole
/// period has passed since the last success (at first the whole retention), compacts to the oldest sample kept,
/// which is the revision of one retention ago.
/// </summary>
internal sealed class PeriodicCompactor(TimeSpan period, DateTime now) : IAutoCompactor
{
    private readonly TimeSpan _period = period;
    private readonly TimeSpan _compactInterval = period > TimeSpan.FromHours(1) ? TimeSpan.FromHours(1) : period;
    private readonly Queue<long> _samples = new();
    private DateTime _nextSample = now;
    private DateTime _lastSuccess = now;
    private TimeSpan _baseInterval = period;
    private bool _waiting;

    private TimeSpan RetryInterval => _compactInterval / 10;

    private int Retentions => (int)(_period / RetryInterval) + 1;

    public long? Due(DateTime now, long currentRevision, bool leading)
    {
        if (_waiting || now < _nextSample)
        {
            return null;
        }

        long? due = null;
        if (leading && _samples.Count > 0 && now - _lastSuccess >= _baseInterval)
        {
            _baseInterval = _compactInterval;
            due = _samples.Peek();
            _waiting = true;
        }

        _samples.Enqueue(currentRevision);
        if (_samples.Count > Retentions)
        {
            _samples.Dequeue();
        }

        _nextSample = now + RetryInterval;
        return due;
    }

    public void Completed(DateTime now, long revision, bool succeeded)
    {
        _waiting = false;
        if (succeeded)
        {
            _lastSuccess = now;
        }
    }
}

/// <summary>etcd 3.4's revision compactor: every 5 minutes, compacts to the current revision less the retention.</summary>
internal sealed class RevisionCompactor(long retention, DateTime now) : IAutoCompactor
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);
    private DateTime _next = now + Interval;
    private long _previous;
    private bool _waiting;

    public long? Due(DateTime now, long currentRevision, bool leading)
    {
        if (_waiting || now < _next)
        {
            return null;
        }

        _next = now + Interval;
        if (!leading)
        {
            return null;
        }

        var revision = currentRevision - retention;
        if (revision <= 0 || revision == _previous)
        {
            return null;
        }

        _waiting = true;
        return revision;
    }

    public void Completed(DateTime now, long revision, bool succeeded)
    {
        _waiting = false;
        if (succeeded)
        {
            _previous = revision;
        }
    }
}
