using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Paypro.Functions.Hosting;

/// <summary>
/// Where the app listens. Under the host: 127.0.0.1 on the port the host chose, whatever else is configured,
/// because the host talks to the handler on loopback only. Self-hosted: the configured URLs
/// (ASPNETCORE_URLS, --urls, ASPNETCORE_HTTP_PORTS, Kestrel:Endpoints), or http://127.0.0.1:7071, the port
/// Core Tools uses, when none is configured.
/// </summary>
internal sealed class KestrelSetup(IOptions<HostingOptions> options, IConfiguration configuration) : IConfigureOptions<KestrelServerOptions>
{
    public const int SelfHostedDefaultPort = 7071;

    public void Configure(KestrelServerOptions kestrel)
    {
        var hosting = options.Value;
        if (hosting.Mode == HostingMode.FunctionsHost)
        {
            kestrel.Listen(IPAddress.Loopback, hosting.CustomHandlerPort!.Value);
        }
        else if (!HasConfiguredAddresses())
        {
            kestrel.Listen(IPAddress.Loopback, SelfHostedDefaultPort);
        }
    }

    private bool HasConfiguredAddresses() =>
        !string.IsNullOrWhiteSpace(configuration["urls"])
        || !string.IsNullOrWhiteSpace(configuration["http_ports"])
        || !string.IsNullOrWhiteSpace(configuration["https_ports"])
        || configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();
}
