namespace EtcdOrleans.Raft;

/// <summary>
/// The window of Append messages sent to one follower and not yet acknowledged, as a ring of their last indexes
/// (ascending). Pipelining stops when the window is full, so a slow follower bounds the leader's memory and traffic.
/// </summary>
internal sealed class Inflights
{
    private readonly ulong[] _lastIndexes;
    private int _start;

    public Inflights(int capacity) => _lastIndexes = new ulong[capacity];

    public int Count { get; private set; }

    public bool IsFull => Count == _lastIndexes.Length;

    /// <summary>Records a sent message whose last entry is <paramref name="lastIndex"/> (greater than any recorded).</summary>
    public void Add(ulong lastIndex)
    {
        if (IsFull)
        {
            throw new InvalidOperationException("inflight window is full");
        }

        _lastIndexes[(_start + Count) % _lastIndexes.Length] = lastIndex;
        Count++;
    }

    /// <summary>The follower acknowledged everything up to <paramref name="index"/>: free those messages.</summary>
    public void FreeUpTo(ulong index)
    {
        while (Count > 0 && _lastIndexes[_start] <= index)
        {
            _start = (_start + 1) % _lastIndexes.Length;
            Count--;
        }

        if (Count == 0)
        {
            _start = 0;
        }
    }

    /// <summary>Frees the oldest message (a heartbeat response shows the follower is alive although the window is full).</summary>
    public void FreeFirst()
    {
        if (Count > 0)
        {
            FreeUpTo(_lastIndexes[_start]);
        }
    }

    public void Reset()
    {
        Count = 0;
        _start = 0;
    }
}
