using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Paypro.Sandbox.Tests.Infrastructure;

namespace Paypro.Sandbox.Tests;

/// <summary>The standalone sandbox reads its settings from the <c>Sandbox</c> section (command line here).</summary>
public sealed class StandaloneTests
{
    [Fact]
    public async Task Settings_come_from_the_Sandbox_section_of_the_configuration()
    {
        await using var app = SandboxApp.Build(
        [
            "--urls", "http://127.0.0.1:0",
            "--hostBuilder:reloadConfigOnChange=false",
            "--Sandbox:MerchantNo=2000000002",
            "--Sandbox:AppSecret=standalone-secret",
            "--Sandbox:SaltPosition=Prepend",
            "--Sandbox:TimeScale=0.5",
            "--Sandbox:SignCallbacks=false",
            "--Sandbox:ControlEnabled=true",
            "--Sandbox:InitialBalance=777",
            "--Sandbox:SuccessDelay=00:00:03",
            "--Sandbox:LongProcessingDelay=00:20:00",
            "--Sandbox:BalancePath=/api/merchantBalance",
            "--Sandbox:DefaultNotifyUrl=http://127.0.0.1:9/notify",
            "--Sandbox:Faults:0:Kind=SystemError",
            "--Sandbox:Faults:0:Endpoint=/api/merchantBalance",
            "--Sandbox:Faults:0:Count=1",
        ], builder => builder.Logging.ClearProviders());
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        var options = app.Services.GetService(typeof(SandboxOptions)) as SandboxOptions;
        Assert.NotNull(options);
        Assert.Equal("2000000002", options.MerchantNo);
        Assert.Equal(SaltPosition.Prepend, options.SaltPosition);
        Assert.Equal(0.5, options.TimeScale);
        Assert.False(options.SignCallbacks);
        Assert.Equal(TimeSpan.FromSeconds(3), options.SuccessDelay);
        Assert.Equal(TimeSpan.FromMinutes(20), options.LongProcessingDelay);
        Assert.Equal("http://127.0.0.1:9/notify", options.DefaultNotifyUrl);

        var fields = SandboxClient.Fields(("timestamp", SandboxClient.Timestamp()));
        var body = SandboxClient.Json(fields, PayproSignature.Compute(fields, "standalone-secret", SaltPosition.Prepend));
        var first = await PostAsync(http, "/api/merchantBalance", body, "2000000002");
        var second = await PostAsync(http, "/api/merchantBalance", body, "2000000002");
        var wrongMerchant = await PostAsync(http, "/api/merchantBalance", body, "1000000001");

        Assert.Contains("\"code\":\"5000\"", first);
        Assert.Contains("\"availableAmount\":777.0000", second);
        Assert.Contains("\"code\":\"1001\"", wrongMerchant);
        using var control = await http.GetAsync("_sandbox/settings");
        Assert.Equal(HttpStatusCode.OK, control.StatusCode);
        await app.StopAsync();
    }

    [Fact]
    public async Task Without_settings_the_control_endpoints_are_off_and_the_root_answers()
    {
        await using var app = SandboxApp.Build(
            ["--urls", "http://127.0.0.1:0", "--hostBuilder:reloadConfigOnChange=false"],
            builder => builder.Logging.ClearProviders());
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        using var control = await http.GetAsync("_sandbox/ledger");
        using var root = await http.GetAsync("/");

        Assert.Equal(HttpStatusCode.NotFound, control.StatusCode);
        Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        Assert.Contains("Paypro Kenya sandbox", await root.Content.ReadAsStringAsync());
        await app.StopAsync();
    }

    [Fact]
    public void Without_urls_it_listens_on_the_documented_local_address()
    {
        Assert.Equal("http://127.0.0.1:5080", SandboxApp.DefaultUrl);
    }

    private static async Task<string> PostAsync(HttpClient http, string path, string body, string merchantNo)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("merchantNo", merchantNo);
        using var response = await http.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }
}
