using Microsoft.Extensions.DependencyInjection;
using Paypro.Sandbox;

namespace Paypro.Testing;

/// <summary>
/// The client library configured for a running sandbox, as an app registers it
/// (<see cref="PayproServiceCollectionExtensions.AddPayproClient"/>, with its resilience pipelines). Disposing it
/// disposes the services it was built from.
/// </summary>
public sealed class SandboxPayproClient : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private SandboxPayproClient(ServiceProvider services)
    {
        _services = services;
        Client = services.GetRequiredService<PayproClient>();
    }

    public PayproClient Client { get; }

    /// <summary>A client for <paramref name="sandbox"/>'s URL and merchant number, signing with its app secret.</summary>
    /// <param name="sandbox">The running sandbox.</param>
    /// <param name="requestTimeout">How long one call may take; the client's default when null.</param>
    /// <param name="secret">Signs with this secret instead of the sandbox's, for a client the sandbox must refuse.</param>
    public static SandboxPayproClient For(SandboxHost sandbox, TimeSpan? requestTimeout = null, string? secret = null) =>
        new(new ServiceCollection()
            .AddSingleton<IPayproSecretSource>(new StaticPayproSecretSource(secret ?? sandbox.Options.AppSecret))
            .AddPayproClient(options =>
            {
                options.BaseUrl = sandbox.BaseUrl;
                options.MerchantNo = sandbox.Options.MerchantNo;
                if (requestTimeout is { } timeout)
                {
                    options.RequestTimeout = timeout;
                }
            })
            .BuildServiceProvider());

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
