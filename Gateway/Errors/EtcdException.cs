namespace EtcdOrleans.Gateway.Errors;

/// <summary>
/// An error a backend reports for a request: one of etcd's errors, named by code. The message is the wire text,
/// so logs read the same as etcd's. The gateway turns it into the wire status with <see cref="EtcdErrors.ToRpcException(EtcdErrorCode)"/>.
/// </summary>
public sealed class EtcdException : Exception
{
    public EtcdException(EtcdErrorCode code)
        : base(EtcdErrors.Message(code))
    {
        Code = code;
    }

    public EtcdException(EtcdErrorCode code, Exception? innerException)
        : base(EtcdErrors.Message(code), innerException)
    {
        Code = code;
    }

    /// <summary>Which of etcd's errors this is.</summary>
    public EtcdErrorCode Code { get; }
}
