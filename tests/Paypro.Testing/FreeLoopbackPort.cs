using System.Net;
using System.Net.Sockets;

namespace Paypro.Testing;

/// <summary>
/// A loopback port that was free a moment ago, for a process that cannot listen on port 0 and tell which port it
/// got. Everything else listens on port 0 and reads the port it was given. Two processes need this:
/// <list type="bullet">
/// <item>azurite-table (Azurite 3.35) accepts port 0, but then prints "started on 127.0.0.1:0" rather than the
/// port the system chose, so nothing outside its process learns where it listens (azurite-queue prints the bound
/// address and starts on port 0).</item>
/// <item>The load tool's app: its own settings must hold its notify URL, port included, before it starts (the app
/// reads Paypro:NotifyUrl once), and a scenario runs it as a child process that it kills and starts again on the
/// same port, so the notify URLs Paypro holds stay valid.</item>
/// </list>
/// The port is released before the process binds it, so another process may take it in between: a caller starts
/// again on another port (or the same one, later) when the process exits before listening. To make that rare, the
/// port is chosen below every system's ephemeral range (Linux 32768-60999, Windows and macOS 49152-65535), where the
/// system never puts a socket bound to port 0 or the local end of an outgoing connection: on a busy machine (a load
/// run holds hundreds of connections to Azurite) a port probed from that range was often taken again within a second.
/// </summary>
public static class FreeLoopbackPort
{
    private const int Lowest = 20_000;
    private const int Highest = 32_000;

    public static int Probe()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(Lowest, Highest);
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }
        // Nothing free there: any port the system gives.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
