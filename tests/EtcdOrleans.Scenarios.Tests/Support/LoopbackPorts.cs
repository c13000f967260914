using System.Net;
using System.Net.Sockets;

namespace EtcdOrleans.Scenarios.Tests.Support;

/// <summary>
/// Free TCP ports on 127.0.0.1, chosen by the kernel (its ephemeral range, so never etcd's well-known 2379/2380).
/// A port is free when handed out, not reserved: targets retry with new ports when a bind loses the race.
/// </summary>
public static class LoopbackPorts
{
    /// <summary><paramref name="count"/> distinct free ports.</summary>
    public static int[] Allocate(int count)
    {
        // Hold every listener until all are chosen, so the kernel cannot hand out one port twice.
        var listeners = new List<TcpListener>(count);
        try
        {
            while (listeners.Count < count)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }

    /// <summary>Whether a start failure's output says that a port was taken in the meantime.</summary>
    public static bool IsAddressInUse(string output) =>
        output.Contains("address already in use", StringComparison.OrdinalIgnoreCase);
}
