using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Paypro.Functions.DevHost;

namespace Paypro.Functions.Tests.Hosting;

/// <summary>The development host reads a Core Tools local.settings.json the way func start would hand it over.</summary>
public sealed class LocalSettingsTests : IDisposable
{
    private readonly string _root = HostingTestApp.CreateContentRoot();

    [Fact]
    public async Task Values_become_configuration_with_double_underscore_as_the_section_separator()
    {
        WriteSettings("""
            { "IsEncrypted": false, "Values": { "PayoutsQueueName": "from-file",
            "AzureFunctionsJobHost__extensions__queues__maxDequeueCount": 7, "Paypro__BaseUrl": "http://127.0.0.1:5080" } }
            """);

        await using var app = await HostingTestApp.StartAsync(HostingTestApp.DevHost(), [], contentRoot: _root);

        Assert.Equal("from-file", app.App.Configuration["PayoutsQueueName"]);
        Assert.Equal("http://127.0.0.1:5080", app.App.Configuration["Paypro:BaseUrl"]);
        Assert.Equal(7, app.App.Services.GetRequiredService<HostJson>().MaxDequeueCount);
    }

    [Fact]
    public async Task Command_line_and_environment_override_the_file()
    {
        WriteSettings(
            """{ "Values": { "PayoutsQueueName": "from-file", "AzureFunctionsJobHost__extensions__queues__maxDequeueCount": "7" } }""");
        var settings = HostingTestApp.DevHost();
        settings["PayoutsQueueName"] = "from-command-line";

        await using var app = await HostingTestApp.StartAsync(settings, [], contentRoot: _root);

        Assert.Equal("from-command-line", app.App.Configuration["PayoutsQueueName"]);
        var sources = ((IConfigurationRoot)app.App.Configuration).Providers.ToList();
        var file = sources.FindIndex(provider => provider.GetType().Name == "LocalSettingsConfigurationProvider");
        var environment = sources.FindLastIndex(
            provider => provider is Microsoft.Extensions.Configuration.EnvironmentVariables.EnvironmentVariablesConfigurationProvider);
        Assert.True(file >= 0 && file < environment, "local.settings.json must rank below the environment variables.");
    }

    [Fact]
    public async Task File_in_the_repository_root_is_found_from_a_project_folder_below_it()
    {
        File.WriteAllText(Path.Combine(_root, "host.json"), "{}");
        WriteSettings("""{ "Values": { "PollSchedule": "0 */2 * * * *" } }""");
        var project = Directory.CreateDirectory(Path.Combine(_root, "src", "App")).FullName;

        await using var app = await HostingTestApp.StartAsync(HostingTestApp.DevHost(), [], contentRoot: project);

        Assert.Equal("0 */2 * * * *", app.App.Configuration["PollSchedule"]);
    }

    [Theory]
    [InlineData("""{ "IsEncrypted": true, "Values": {} }""", "encrypted")]
    [InlineData("""{ "Values": [ "a" ] }""", "Values must be an object")]
    [InlineData("""{ "Values": { "Nested": { "a": 1 } } }""", "Values.Nested")]
    [InlineData("""{ "Values": """, "not valid JSON")]
    public async Task Unusable_file_stops_the_app_with_a_clear_message(string content, string expected)
    {
        WriteSettings(content);

        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(
            () => HostingTestApp.StartAsync(HostingTestApp.DevHost(), [], contentRoot: _root));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("local.settings.json", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void WriteSettings(string content) => File.WriteAllText(Path.Combine(_root, "local.settings.json"), content);
}
