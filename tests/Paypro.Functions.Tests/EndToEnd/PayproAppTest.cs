using Paypro.Functions.Tests.Infrastructure;
using Paypro.Sandbox;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>A test class whose every test gets its own sandbox and app (its own tables and queues in the shared Azurite).</summary>
[Collection(AzuriteCollection.Name)]
public abstract class PayproAppTest(AzuriteFixture azurite) : IAsyncLifetime
{
    protected SandboxHost Sandbox { get; private set; } = null!;
    protected PayproAppHarness App { get; private set; } = null!;

    /// <summary>Settings of the app beyond the harness's defaults.</summary>
    protected virtual IReadOnlyDictionary<string, string?>? Settings => null;

    /// <summary>Adjusts the sandbox before it starts.</summary>
    protected virtual void ConfigureSandbox(SandboxOptions options)
    {
    }

    public async Task InitializeAsync()
    {
        Sandbox = PayproAppHarness.StartSandbox(ConfigureSandbox);
        App = await PayproAppHarness.StartAsync(azurite, Sandbox, Settings);
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Sandbox.DisposeAsync();
    }
}
