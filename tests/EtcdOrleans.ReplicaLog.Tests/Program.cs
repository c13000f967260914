namespace EtcdOrleans.ReplicaLog.Tests;

/// <summary>
/// The entry point of this assembly when a fencing test starts it as a child process (<c>dotnet exec</c>):
/// <c>hold DIR</c> opens the store, prints <c>OPEN</c> and keeps it until a line arrives on stdin (then prints
/// <c>CLOSED</c>); <c>try DIR</c> opens and closes it. A fenced open prints <c>FENCED</c> and the message, exit code 3.
/// </summary>
public static class Program
{
    public const int FencedExitCode = 3;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length != 2 || args[0] is not ("hold" or "try"))
        {
            await Console.Error.WriteLineAsync("usage: (hold | try) DIRECTORY");
            return 2;
        }

        FileReplicaLogStore store;
        try
        {
            (store, _) = await FileReplicaLogStore.OpenAsync(new FileReplicaLogOptions(args[1]) { SyncWrites = false });
        }
        catch (ReplicaLogFencedException ex)
        {
            Console.WriteLine($"FENCED {ex.Message}");
            return FencedExitCode;
        }

        await using (store)
        {
            Console.WriteLine("OPEN");
            if (args[0] == "hold")
            {
                await Console.In.ReadLineAsync();
            }
        }

        Console.WriteLine("CLOSED");
        return 0;
    }
}
