using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Paypro.Functions.Hosting;

namespace Paypro.Functions.Tests.Hosting;

public sealed class HostingOptionsTests
{
    [Fact]
    public async Task Defaults_match_host_json()
    {
        await using var app = await HostingTestApp.StartAsync(HostingTestApp.SelfHosted(functionKey: null));

        var options = app.App.Services.GetRequiredService<IOptions<HostingOptions>>().Value;

        Assert.Equal(5, options.MaxDequeueCount);
        Assert.Equal(TimeSpan.FromSeconds(30), options.VisibilityTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), options.MaxPollingInterval);
        Assert.Null(options.FunctionKey);
    }

    [Fact]
    public async Task Settings_are_read_from_the_hosting_section()
    {
        var settings = HostingTestApp.SelfHosted("k");
        settings["Hosting:MaxDequeueCount"] = "3";
        settings["Hosting:VisibilityTimeout"] = "00:00:07";
        settings["Hosting:MaxPollingInterval"] = "00:00:00.5";
        await using var app = await HostingTestApp.StartAsync(settings);

        var options = app.App.Services.GetRequiredService<IOptions<HostingOptions>>().Value;

        Assert.Equal(3, options.MaxDequeueCount);
        Assert.Equal(TimeSpan.FromSeconds(7), options.VisibilityTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.MaxPollingInterval);
        Assert.Equal("k", options.FunctionKey);
    }

    [Theory]
    [InlineData("Hosting:Mode", "Container", "Hosting:Mode (Hosting__Mode)")]
    [InlineData("Hosting:Mode", "2", "Hosting:Mode (Hosting__Mode)")]
    [InlineData("Hosting:MaxDequeueCount", "five", "Hosting:MaxDequeueCount")]
    [InlineData("Hosting:MaxDequeueCount", "0", "between 1 and 1000")]
    [InlineData("Hosting:VisibilityTimeout", "30s", "Hosting:VisibilityTimeout")]
    [InlineData("Hosting:VisibilityTimeout", "00:00:00", "Hosting:VisibilityTimeout")]
    [InlineData("Hosting:MaxPollingInterval", "00:00:00.01", "Hosting:MaxPollingInterval")]
    [InlineData("FUNCTIONS_CUSTOMHANDLER_PORT", "port", "FUNCTIONS_CUSTOMHANDLER_PORT")]
    public async Task A_bad_setting_stops_the_app_at_start_up_naming_it(string key, string value, string expected)
    {
        var settings = HostingTestApp.SelfHosted(functionKey: null);
        settings[key] = value;

        var error = await Assert.ThrowsAnyAsync<Exception>(() => HostingTestApp.StartAsync(settings));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_mode_without_the_hosts_port_stops_the_app_at_start_up()
    {
        var settings = HostingTestApp.SelfHosted(functionKey: null);
        settings["Hosting:Mode"] = "FunctionsHost";

        var error = await Assert.ThrowsAnyAsync<Exception>(() => HostingTestApp.StartAsync(settings));

        Assert.Contains("FUNCTIONS_CUSTOMHANDLER_PORT", error.Message, StringComparison.Ordinal);
    }
}
