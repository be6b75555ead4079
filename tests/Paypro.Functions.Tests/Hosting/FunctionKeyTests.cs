using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Paypro.Functions.Hosting;

namespace Paypro.Functions.Tests.Hosting;

/// <summary>Self-hosted mode checks function keys on /api itself, as the host does for authLevel function.</summary>
public sealed class FunctionKeyTests
{
    private const string Key = "self-hosted-key-0123456789";

    [Theory]
    [InlineData(null, null)]
    [InlineData("wrong-key", null)]
    [InlineData(null, "wrong-key")]
    [InlineData("self-hosted-key-012345678", null)]
    [InlineData("", "")]
    public async Task Api_request_without_the_right_key_gets_401_and_never_reaches_the_endpoint(string? query, string? header)
    {
        var reached = 0;
        await using var app = await StartSelfHostedAsync(() => Interlocked.Increment(ref reached));

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/paypro/notify" + (query is null ? "" : "?code=" + Uri.EscapeDataString(query)));
        request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        if (header is not null)
        {
            request.Headers.Add("x-functions-key", header);
        }
        using var response = await app.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, reached);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Api_request_with_the_key_as_code_or_header_reaches_the_endpoint(bool asHeader)
    {
        var reached = 0;
        await using var app = await StartSelfHostedAsync(() => Interlocked.Increment(ref reached));

        using var request = new HttpRequestMessage(HttpMethod.Post, asHeader ? "/api/paypro/notify" : "/api/paypro/notify?code=" + Key);
        request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        if (asHeader)
        {
            request.Headers.Add("x-functions-key", Key);
        }
        using var response = await app.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, reached);
    }

    [Fact]
    public async Task Routes_outside_api_need_no_key()
    {
        await using var app = await StartSelfHostedAsync(() => 0);

        using var response = await app.Http.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Self_hosted_mode_does_not_expose_the_host_invocation_routes()
    {
        var recorder = new FunctionRecorder();
        await using var app = await HostingTestApp.StartAsync(HostingTestApp.SelfHosted(Key), builder =>
        {
            builder.Services.AddSingleton(recorder);
            builder.Services.AddTimerFunction<RecordingTimerFunction>("PollThings", "ThingsSchedule", "0 0 0 1 1 *");
        });

        using var response = await app.Http.PostAsync("/PollThings", new StringContent("""{"Data":{"timer":{}},"Metadata":{}}""", Encoding.UTF8, "application/json"));

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(recorder.TimerTriggers);
    }

    [Fact]
    public async Task Self_hosted_with_http_functions_but_no_key_refuses_to_start_and_names_the_setting()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartSelfHostedAsync(() => 0, functionKey: null));

        Assert.Contains("Hosting__FunctionKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Self_hosted_without_http_functions_starts_without_a_key()
    {
        await using var app = await HostingTestApp.StartAsync(HostingTestApp.SelfHosted(functionKey: null));

        using var response = await app.Http.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Under_the_host_no_key_is_needed_because_the_host_checks_it()
    {
        var reached = 0;
        await using var app = await HostingTestApp.StartAsync(HostingTestApp.UnderHost(), map: web =>
            web.MapGroup("/api").MapGet("/balance", () => { Interlocked.Increment(ref reached); return Results.Ok(); }));

        using var response = await app.Http.GetAsync("/api/balance");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, reached);
    }

    [Fact]
    public async Task Auto_mode_without_the_host_port_is_self_hosted()
    {
        var settings = HostingTestApp.SelfHosted(Key);
        settings["Hosting:Mode"] = "Auto";
        await using var app = await HostingTestApp.StartAsync(settings);

        Assert.Equal(HostingMode.SelfHosted, app.App.Services.GetRequiredService<IOptions<HostingOptions>>().Value.Mode);
    }

    private static Task<HostingTestApp> StartSelfHostedAsync(Func<int> onRequest, string? functionKey = Key) =>
        HostingTestApp.StartAsync(HostingTestApp.SelfHosted(functionKey), map: web =>
            web.MapGroup("/api").MapPost("/paypro/notify", () =>
            {
                onRequest();
                return Results.Ok();
            }));
}
