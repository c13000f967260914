namespace EtcdOrleans.Scenarios.Tests.Linearizability;

/// <summary>What a client asked of one key.</summary>
public enum RegisterOperation
{
    /// <summary>Read the key (a Range, or a txn that writes nothing).</summary>
    Read,

    /// <summary>Write <see cref="RegisterOp.Value"/>.</summary>
    Write,

    /// <summary>If the key holds <see cref="RegisterOp.Expected"/>, write <see cref="RegisterOp.Value"/>.</summary>
    CompareAndSet,
}

/// <summary>
/// One operation on one key as a client saw it: invoked at <see cref="Invoked"/>, answered at <see cref="Returned"/>
/// (null: it failed or timed out, so it may or may not have taken effect, at any time after it was invoked).
/// A value of null is "no such key".
/// </summary>
public sealed record RegisterOp(
    int Client,
    RegisterOperation Operation,
    long Invoked,
    long? Returned,
    string? Value = null,
    string? Expected = null,
    string? ReadValue = null,
    bool Succeeded = false)
{
    public bool Completed => Returned.HasValue;

    public override string ToString() => Operation switch
    {
        RegisterOperation.Read => $"c{Client} read -> {ReadValue ?? "nil"} [{Invoked}, {Returned?.ToString() ?? "?"}]",
        RegisterOperation.Write => $"c{Client} write {Value} [{Invoked}, {Returned?.ToString() ?? "?"}]",
        _ => $"c{Client} cas {Expected ?? "nil"}->{Value}: {(Completed ? Succeeded.ToString() : "?")} [{Invoked}, {Returned?.ToString() ?? "?"}]",
    };
}

/// <summary>A thread-safe recorder of the operations of concurrent clients, by key, on one clock.</summary>
public sealed class RegisterHistory
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly Dictionary<string, List<RegisterOp>> _byKey = [];
    private readonly Lock _lock = new();

    /// <summary>The clock operations are timed on (ticks).</summary>
    public long Now => _clock.ElapsedTicks;

    public void Add(string key, RegisterOp op)
    {
        lock (_lock)
        {
            if (!_byKey.TryGetValue(key, out var ops))
            {
                ops = [];
                _byKey[key] = ops;
            }

            ops.Add(op);
        }
    }

    public IReadOnlyDictionary<string, List<RegisterOp>> ByKey
    {
        get
        {
            lock (_lock)
            {
                return _byKey.ToDictionary(p => p.Key, p => p.Value.ToList());
            }
        }
    }
}
