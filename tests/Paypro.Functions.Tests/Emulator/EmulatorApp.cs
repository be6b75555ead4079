using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Paypro.Functions.DevHost;
using Paypro.Functions.Tests.EndToEnd;
using Paypro.Functions.Tests.Hosting;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Sandbox;

namespace Paypro.Functions.Tests.Emulator;

/// <summary>
/// The development host as a host emulator: the real worker (the function app's build output) runs as a process of
/// its own, against Azurite and a sandbox, with the end-to-end tests' settings and tables and queues of its own. Its
/// log holds the emulator's entries and the worker's, which arrive over the protocol (RpcLog).
/// </summary>
internal static class EmulatorApp
{
    /// <summary>The end-to-end tests' app settings, plus the emulator's: the worker's folder.</summary>
    public static Dictionary<string, string?> Settings(AzuriteFixture azurite, SandboxHost sandbox, string? id = null)
    {
        var settings = PayproAppHarness.Settings(azurite, sandbox, id ?? Guid.NewGuid().ToString("N")[..10]);
        settings[DevelopmentHost.WorkerDirectorySetting] = RepositoryPaths.FunctionsOutput;
        return settings;
    }

    /// <summary>
    /// Puts the emulator on a port chosen now, so Paypro:NotifyUrl can name it before the worker starts (the worker
    /// reads it once, in its own process), and Paypro's callbacks reach the worker through the emulator.
    /// </summary>
    public static Dictionary<string, string?> OnFixedPort(this Dictionary<string, string?> settings)
    {
        var address = $"http://127.0.0.1:{FreeLoopbackPort.Probe()}";
        settings["urls"] = address;
        settings["Paypro:NotifyUrl"] = $"{address}/api/paypro/notify?code={PayproAppHarness.FunctionKey}";
        return settings;
    }

    public static Task<HostingTestApp> StartAsync(IReadOnlyDictionary<string, string?> settings) =>
        HostingTestApp.StartAsync(settings, (args, logging, root) => DevelopmentHost.Build(args, logging, root));

    /// <summary>The ids of the worker processes that became ready, in order (a restart adds one).</summary>
    public static IReadOnlyList<int> ReadyWorkers(this HostingTestApp app) =>
        [.. app.Logs.GetSnapshot().Where(entry => entry.Id.Id == 2032)
            .Select(entry => Convert.ToInt32(
                entry.StructuredState!.Single(p => p.Key == "ProcessId").Value,
                CultureInfo.InvariantCulture))];

    /// <summary>A GET with the function key.</summary>
    public static Task<HttpResponseMessage> GetWithKeyAsync(this HostingTestApp app, string path) =>
        app.Http.GetAsync($"{path}{(path.Contains('?', StringComparison.Ordinal) ? '&' : '?')}code={PayproAppHarness.FunctionKey}");

    public static async Task<JsonElement?> GetPayoutAsync(this HostingTestApp app, string tradeNo)
    {
        using var response = await app.GetWithKeyAsync($"/api/payouts/{tradeNo}");
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonElement>() : null;
    }

    /// <summary>
    /// Waits until the operator view of <paramref name="kind"/> (payouts or payins) shows <paramref name="state"/>, and returns it.
    /// </summary>
    public static async Task<JsonElement> WaitForStateAsync(
        this HostingTestApp app,
        string kind,
        string tradeNo,
        string state,
        TimeSpan timeout)
    {
        JsonElement? view = null;
        try
        {
            await Eventually.UntilAsync(async () =>
            {
                using var response = await app.GetWithKeyAsync($"/api/{kind}/{tradeNo}");
                view = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonElement>() : null;
                return view?.GetProperty("state").GetString() == state;
            }, $"{kind} {tradeNo} is {state}", timeout);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} (last seen: {view?.GetProperty("state").GetString() ?? "absent"})", ex);
        }
        return view!.Value;
    }
}
