namespace EtcdOrleans.Grains.Tests;

/// <summary>Polls a condition that the cluster reaches asynchronously, with a generous deadline for slow CI machines.</summary>
public static class Eventually
{
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"condition not reached in time; last value: {value}");
            }

            await Task.Delay(50);
        }
    }
}
