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
/// again on another port (or the same one, later) when the process exits before listening.
/// </summary>
public static class FreeLoopbackPort
{
    public static int Probe()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
