using Grpc.Core;

namespace EtcdOrleans.Scenarios.Tests.Support;

/// <summary>Asserts gRPC errors exactly: clients match etcd's errors by code and message text.</summary>
public static class RpcAssert
{
    public static async Task<RpcException> FailsAsync(StatusCode code, string detail, Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal((code, detail), (error.StatusCode, error.Status.Detail));
        return error;
    }
}
