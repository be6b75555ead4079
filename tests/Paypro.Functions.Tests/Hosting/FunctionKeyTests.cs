using System.Net;
using Paypro.Functions.DevHost;

namespace Paypro.Functions.Tests.Hosting;

/// <summary>The development host checks function keys as the host does, by each function's authorization level.</summary>
public sealed class FunctionKeyTests
{
    [Theory]
    [InlineData(null, null)]
    [InlineData("wrong-key", null)]
    [InlineData(null, "wrong-key")]
    [InlineData("test-function-key-012345678", null)]
    [InlineData("", "")]
    public async Task Function_level_request_without_the_right_key_gets_401(string? query, string? header)
    {
        await using var app = await HostingTestApp.StartAsync(HostingTestApp.DevHost(), [typeof(RecordingHttpFunctions)]);

        using var request = new HttpRequestMessage(
            HttpMethod.Get,
            "/api/things/7" + (query is null ? "" : "?code=" + Uri.EscapeDataString(query)));
        if (header is not null)
        {
            request.Headers.Add(FunctionKeys.KeyHeader, header);
        }
        using var response = await app.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(true, HostingTestApp.FunctionKey)]
    [InlineData(false, HostingTestApp.FunctionKey)]
    [InlineData(false, HostingTestApp.MasterKey)]
    public async Task Function_level_request_with_the_function_or_master_key_as_code_or_header_runs_the_function(bool asHeader, string key)
    {
        await using var app = await HostingTestApp.StartAsync(HostingTestApp.DevHost(), [typeof(RecordingHttpFunctions)]);

        using var request = new HttpRequestMessage(HttpMethod.Get, asHeader ? "/api/things/7" : "/api/things/7?code=" + key);
        if (asHeader)
        {
            request.Headers.Add(FunctionKeys.KeyHeader, key);
        }
        using var response = await app.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("thing 7", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Admin_level_takes_the_master_key_only()
    {
        await using var app = await HostingTestApp.StartAsync(HostingTestApp.DevHost(), [typeof(RecordingHttpFunctions)]);

        using var withFunctionKey = await app.Http.PostAsync("/api/things/reset?code=" + HostingTestApp.FunctionKey, null);
        using var withMasterKey = await app.Http.PostAsync("/api/things/reset?code=" + HostingTestApp.MasterKey, null);

        Assert.Equal(HttpStatusCode.Unauthorized, withFunctionKey.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withMasterKey.StatusCode);
    }

    [Fact]
    public async Task Anonymous_level_needs_no_key_and_a_method_the_attribute_does_not_name_is_not_routed()
    {
        await using var app = await HostingTestApp.StartAsync(HostingTestApp.DevHost(), [typeof(RecordingHttpFunctions)]);

        using var ping = await app.Http.GetAsync("/api/ping");
        using var wrongMethod = await app.Http.PostAsync("/api/ping", null);
        using var outsidePrefix = await app.Http.GetAsync("/ping");

        Assert.Equal("pong", await ping.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, outsidePrefix.StatusCode);
    }

    [Fact]
    public async Task Http_functions_without_a_function_key_refuse_to_start_and_name_the_setting()
    {
        var settings = HostingTestApp.DevHost();
        settings["DevHost:FunctionKey"] = null;

        var error = await Assert.ThrowsAnyAsync<Exception>(() => HostingTestApp.StartAsync(settings, [typeof(RecordingHttpFunctions)]));

        Assert.Contains("DevHost__FunctionKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_short_key_refuses_to_start()
    {
        var settings = HostingTestApp.DevHost();
        settings["DevHost:FunctionKey"] = "short";

        var error = await Assert.ThrowsAnyAsync<Exception>(() => HostingTestApp.StartAsync(settings, [typeof(RecordingHttpFunctions)]));

        Assert.Contains("at least 16", error.Message, StringComparison.Ordinal);
    }
}
