namespace EtcdOrleans.ReplicaLog;

/// <summary>
/// The term of every index of the log as runs (first index of a run, term), so the store can validate saves and
/// decide a snapshot's effect without keeping entries. Small: one run per term change.
/// </summary>
internal sealed class TermRuns
{
    private readonly List<(ulong Start, ulong Term)> _runs = [];

    /// <summary>The last index covered, or the base index when empty.</summary>
    public ulong LastIndex { get; private set; }

    /// <summary>Indexes at or below this are not tracked (snapshot or start of the log).</summary>
    public ulong BaseIndex { get; private set; }

    /// <summary>Forgets everything and continues after <paramref name="baseIndex"/>.</summary>
    public void Reset(ulong baseIndex)
    {
        _runs.Clear();
        BaseIndex = baseIndex;
        LastIndex = baseIndex;
    }

    /// <summary>Stops tracking indexes at or below <paramref name="index"/>, keeping the ones after it.</summary>
    public void Rebase(ulong index)
    {
        BaseIndex = Math.Max(BaseIndex, Math.Min(index, LastIndex));
    }

    /// <summary>Drops indexes from <paramref name="index"/> on, then appends <paramref name="term"/> at that index.</summary>
    public void Append(ulong index, ulong term)
    {
        if (index <= LastIndex)
        {
            TruncateFrom(index);
        }

        if (_runs.Count == 0 || _runs[^1].Term != term)
        {
            _runs.Add((index, term));
        }

        LastIndex = index;
    }

    /// <summary>The term at <paramref name="index"/>, or null when it is not in (BaseIndex, LastIndex].</summary>
    public ulong? TermAt(ulong index)
    {
        if (index <= BaseIndex || index > LastIndex)
        {
            return null;
        }

        for (var i = _runs.Count - 1; i >= 0; i--)
        {
            if (_runs[i].Start <= index)
            {
                return _runs[i].Term;
            }
        }

        return null;
    }

    private void TruncateFrom(ulong index)
    {
        while (_runs.Count > 0 && _runs[^1].Start >= index)
        {
            _runs.RemoveAt(_runs.Count - 1);
        }

        LastIndex = Math.Max(index - 1, BaseIndex);
    }
}
