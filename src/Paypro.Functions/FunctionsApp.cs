using Paypro.Functions.Hosting;

namespace Paypro.Functions;

/// <summary>Builds the app: the same composition serves the Functions host, self-hosted mode and tests.</summary>
public static class FunctionsApp
{
    /// <param name="args">Command-line arguments (configuration overrides as <c>--Key=value</c>).</param>
    /// <param name="configure">Lets tests replace settings or services before the app is built.</param>
    /// <param name="contentRoot">Where local.settings.json is looked for; the current directory by default.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null, string? contentRoot = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = contentRoot });
        builder.AddFunctionsHosting();
        builder.AddPayproFunctions();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapFunctionsHosting();
        app.MapPayproFunctions();
        return app;
    }
}
