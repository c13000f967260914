namespace EtcdOrleans.Mvcc;

/// <summary>
/// What <see cref="Sequencer.Resolve"/> made of a request: an error, or a response and the effect to append
/// to the log (null when the request changes nothing, e.g. a read-only txn or a delete of no key).
/// </summary>
public readonly struct Resolution
{
    private Resolution(MvccError error, Effect? effect, MvccResponse? response, long revision)
    {
        Error = error;
        Effect = effect;
        Response = response;
        Revision = revision;
    }

    /// <summary><see cref="MvccError.None"/> on success. On error nothing changed.</summary>
    public MvccError Error { get; }

    public bool IsError => Error != MvccError.None;

    /// <summary>The effect to append to the log, or null when the request has nothing to replicate.</summary>
    public Effect? Effect { get; }

    /// <summary>The response (null on error). Send it once the effect (or, without one, <see cref="Revision"/>) is committed and applied.</summary>
    public MvccResponse? Response { get; }

    /// <summary>
    /// The sequencer's (speculative) revision after resolving: the response reflects the state at this revision,
    /// so without an effect it must not be returned before this revision is committed.
    /// </summary>
    public long Revision { get; }

    public static Resolution Failed(MvccError error, long revision) => new(error, null, null, revision);

    public static Resolution Succeeded(Effect? effect, MvccResponse response, long revision) => new(MvccError.None, effect, response, revision);
}
