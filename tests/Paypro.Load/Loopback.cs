using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Paypro.Load;

internal static class Loopback
{
    /// <summary>Whether something accepts connections on the loopback port (the app's child process, once it listens).</summary>
    public static async Task<bool> IsListeningAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// A bare ASP.NET Core app for a loopback port the system chooses, without logging or a watched configuration: the baselines,
    /// the proxy.
    /// </summary>
    public static WebApplication CreateServer()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        return builder.Build();
    }

    /// <summary>Stops a server of <see cref="CreateServer"/> within 10 s, and disposes of it whatever happened.</summary>
    public static async ValueTask StopServerAsync(WebApplication app)
    {
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await app.StopAsync(stop.Token);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}
