using Microsoft.Extensions.Configuration;
using Paypro.Functions.DevHost;
using Paypro.Functions.Tests.Infrastructure;

namespace Paypro.Functions.Tests.Hosting;

/// <summary>The development host reads the repository's host.json, with the host's app-setting overrides.</summary>
public sealed class HostJsonTests
{
    [Fact]
    public void The_repository_host_json_is_what_the_development_host_reads()
    {
        var hostJson = HostJson.Load(Empty());

        Assert.Equal(
            File.ReadAllText(Path.Combine(RepositoryPaths.Root, "host.json")),
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "host.json")));
        Assert.Equal("api", hostJson.RoutePrefix);
        Assert.Equal(5, hostJson.MaxDequeueCount);
        Assert.Equal(TimeSpan.FromSeconds(30), hostJson.VisibilityTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), hostJson.MaxPollingInterval);
        Assert.Equal(TimeSpan.FromMinutes(5), hostJson.FunctionTimeout);
        Assert.Equal(hostJson.BatchSize + hostJson.NewBatchThreshold, hostJson.QueueConcurrency);
    }

    [Fact]
    public void App_settings_named_AzureFunctionsJobHost_override_host_json_as_under_the_host()
    {
        var hostJson = HostJson.Load(Settings(
            ("AzureFunctionsJobHost:extensions:queues:maxDequeueCount", "3"),
            ("AzureFunctionsJobHost:extensions:queues:visibilityTimeout", "00:00:07"),
            ("AzureFunctionsJobHost:functionTimeout", "00:01:00")));

        Assert.Equal(3, hostJson.MaxDequeueCount);
        Assert.Equal(TimeSpan.FromSeconds(7), hostJson.VisibilityTimeout);
        Assert.Equal(TimeSpan.FromMinutes(1), hostJson.FunctionTimeout);
    }

    [Theory]
    [InlineData("AzureFunctionsJobHost:extensions:queues:maxDequeueCount", "five", "maxDequeueCount")]
    [InlineData("AzureFunctionsJobHost:extensions:queues:maxDequeueCount", "0", "from 1 to 1000")]
    [InlineData("AzureFunctionsJobHost:extensions:queues:batchSize", "64", "batchSize")]
    [InlineData("AzureFunctionsJobHost:extensions:queues:visibilityTimeout", "30s", "visibilityTimeout")]
    public void A_bad_value_is_refused_naming_the_setting(string key, string value, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => HostJson.Load(Settings((key, value))));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_host_json_is_refused_with_its_path()
    {
        var folder = HostingTestApp.CreateContentRoot();
        try
        {
            var error = Assert.Throws<InvalidOperationException>(() => HostJson.Load(Empty(), folder));

            Assert.Contains(Path.Combine(folder, "host.json"), error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static IConfiguration Empty() => new ConfigurationBuilder().Build();

    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
}
