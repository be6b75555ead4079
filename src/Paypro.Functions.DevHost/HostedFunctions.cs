using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Primitives;
using Paypro.Functions.Configuration;

namespace Paypro.Functions.DevHost;

/// <summary>
/// The functions the development host serves: known when it is built, in-process; known once the worker has reported
/// its metadata, in the emulator. The HTTP routes follow it (<see cref="FunctionEndpointDataSource"/>).
/// </summary>
internal sealed class HostedFunctions(FunctionCatalog? catalog = null)
{
    private CancellationTokenSource _changed = new();

    public FunctionCatalog? Catalog { get; private set; } = catalog;

    /// <summary>The catalog, once known; the triggers start only after it is.</summary>
    public FunctionCatalog Known => Catalog
        ?? throw new InvalidOperationException("The functions are not known yet: the worker has not reported its metadata.");

    public void Set(FunctionCatalog catalog)
    {
        Catalog = catalog;
        var changed = Interlocked.Exchange(ref _changed, new CancellationTokenSource());
        changed.Cancel();
        changed.Dispose();
    }

    public IChangeToken GetChangeToken() => new CancellationChangeToken(_changed.Token);

    /// <summary>
    /// The platform's switch, <c>AzureWebJobs.&lt;FunctionName&gt;.Disabled</c>: a disabled HTTP function answers 404, a
    /// disabled queue function leaves its messages on the queue, a disabled timer does not fire.
    /// </summary>
    public static bool IsDisabled(IConfiguration configuration, string functionName) =>
        FunctionSwitch.IsOn(configuration[FunctionSwitch.SettingOf(functionName)]);
}

/// <summary>
/// One endpoint per HTTP function of the catalog that is not disabled, at <c>/{routePrefix}/{route}</c> for its methods: the key is checked
/// (<see cref="FunctionKeys"/>), then the function runs through the host's <see cref="IFunctionInvocation"/>.
/// </summary>
internal sealed class FunctionEndpointDataSource(
    HostedFunctions functions,
    HostJson hostJson,
    FunctionKeys keys,
    IFunctionInvocation invocation,
    IConfiguration configuration)
    : EndpointDataSource
{
    private (FunctionCatalog Catalog, IReadOnlyList<Endpoint> Endpoints)? _built;

    public override IReadOnlyList<Endpoint> Endpoints
    {
        get
        {
            if (functions.Catalog is not { } catalog)
            {
                return [];
            }
            if (_built is not { } built || !ReferenceEquals(built.Catalog, catalog))
            {
                built = (catalog, [.. catalog.Http
                    .Where(function => !HostedFunctions.IsDisabled(configuration, function.Name))
                    .Select(CreateEndpoint)]);
                _built = built;
            }
            return built.Endpoints;
        }
    }

    public override IChangeToken GetChangeToken() => functions.GetChangeToken();

    private RouteEndpoint CreateEndpoint(HttpFunction function)
    {
        var prefix = hostJson.RoutePrefix.Length == 0 ? "" : "/" + hostJson.RoutePrefix;
        var builder = new RouteEndpointBuilder(
            context => InvokeAsync(function, context),
            RoutePatternFactory.Parse(prefix + "/" + function.Route),
            order: 0)
        {
            DisplayName = function.Name,
        };
        builder.Metadata.Add(new HttpMethodMetadata([.. function.Methods.Select(m => m.ToUpperInvariant())]));
        builder.Metadata.Add(new EndpointNameMetadata(function.Name));
        return (RouteEndpoint)builder.Build();
    }

    private Task InvokeAsync(HttpFunction function, HttpContext context)
    {
        if (!keys.Allows(function.AuthLevel, context.Request))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Task.CompletedTask;
        }
        return invocation.InvokeHttpAsync(function, context);
    }
}
