using Microsoft.Extensions.Options;

namespace Paypro.Functions.Hosting;

/// <summary>
/// Refuses to start self-hosted with HTTP functions but no function key: without the host in front,
/// the key is the only thing standing between the internet and the <c>/api</c> routes.
/// </summary>
internal sealed class FunctionKeyRequirement(IOptions<HostingOptions> options, EndpointDataSource endpoints) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        // After next(app) the pipeline, and with it every endpoint data source, is in place.
        next(app);
        var hosting = options.Value;
        if (hosting.Mode == HostingMode.SelfHosted && string.IsNullOrEmpty(hosting.FunctionKey)
            && endpoints.Endpoints.Any(FunctionKeyMiddleware.IsApiEndpoint))
        {
            throw new InvalidOperationException(
                "Hosting:FunctionKey (Hosting__FunctionKey) is not set. In self-hosted mode the app checks function keys on /api routes itself: " +
                "set Hosting__FunctionKey to a long random value and give it to callers as ?code= or x-functions-key. " +
                "Under the Functions host set no key here (the host checks keys); the app detects the host through FUNCTIONS_CUSTOMHANDLER_PORT.");
        }
    };
}
