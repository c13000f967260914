namespace EtcdOrleans.Scenarios.Tests.Linearizability;

/// <summary>
/// Decides whether the history of one key is linearizable for a register with compare-and-set, by the search of
/// Wing and Gong with Lowe's memoization: repeatedly pick an operation that may go next (invoked before every
/// remaining operation returned), check it against the register's state, and backtrack on a contradiction, never
/// visiting the same (remaining set, state) twice. Operations that got no answer may take effect at any time after
/// they were invoked, or never. Keys are independent (linearizability is local), so each is checked alone.
/// </summary>
public static class RegisterChecker
{
    /// <summary>The outcome: linearizable or not, or undecided when the search exceeded its budget.</summary>
    public sealed record Result(bool Linearizable, bool Decided, string Explanation);

    public static Result Check(IReadOnlyList<RegisterOp> history, string? initial = null, long maxStates = 5_000_000)
    {
        var ops = history.OrderBy(o => o.Invoked).ToArray();
        var n = ops.Length;
        var remaining = new bool[n];
        Array.Fill(remaining, true);
        var completedLeft = ops.Count(o => o.Completed);
        var visited = new HashSet<(string Remaining, string? State)>();
        long states = 0;
        var deepest = 0;

        bool Search(string? state, int linearized, int completedRemaining)
        {
            if (completedRemaining == 0)
            {
                return true;
            }

            if (++states > maxStates)
            {
                throw new SearchBudgetExceeded();
            }

            if (!visited.Add((Key(remaining), state)))
            {
                return false;
            }

            deepest = Math.Max(deepest, linearized);
            var earliestReturn = long.MaxValue;
            for (var i = 0; i < n; i++)
            {
                if (remaining[i] && ops[i].Returned is { } returned && returned < earliestReturn)
                {
                    earliestReturn = returned;
                }
            }

            for (var i = 0; i < n; i++)
            {
                var op = ops[i];
                if (!remaining[i] || op.Invoked > earliestReturn)
                {
                    continue;
                }

                if (!TryStep(op, state, out var next))
                {
                    continue;
                }

                remaining[i] = false;
                var found = Search(next, linearized + 1, completedRemaining - (op.Completed ? 1 : 0));
                remaining[i] = true;
                if (found)
                {
                    return true;
                }
            }

            return false;
        }

        try
        {
            return Search(initial, 0, completedLeft)
                ? new Result(true, true, $"linearizable ({n} operations, {states} states)")
                : new Result(false, true, $"not linearizable: no order of {n} operations fits; at most {deepest} could be ordered. History:\n" + string.Join("\n", ops.Select(o => o.ToString())));
        }
        catch (SearchBudgetExceeded)
        {
            return new Result(false, false, $"undecided after {states} states ({n} operations)");
        }
    }

    /// <summary>The register's step: whether <paramref name="op"/> can take effect on <paramref name="state"/>, and the state after.</summary>
    private static bool TryStep(RegisterOp op, string? state, out string? next)
    {
        next = state;
        switch (op.Operation)
        {
            case RegisterOperation.Read:
                return !op.Completed || op.ReadValue == state;
            case RegisterOperation.Write:
                next = op.Value;
                return true;
            default:
                var matches = op.Expected == state;
                if (!op.Completed)
                {
                    // Unanswered: if it took effect here, it did what the state says.
                    next = matches ? op.Value : state;
                    return true;
                }

                if (op.Succeeded != matches)
                {
                    return false;
                }

                next = matches ? op.Value : state;
                return true;
        }
    }

    private static string Key(bool[] remaining)
    {
        var chars = new char[(remaining.Length + 15) / 16];
        for (var i = 0; i < remaining.Length; i++)
        {
            if (remaining[i])
            {
                chars[i / 16] |= (char)(1 << (i % 16));
            }
        }

        return new string(chars);
    }

    private sealed class SearchBudgetExceeded : Exception;
}
