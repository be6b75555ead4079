using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Paypro.Functions.Tests.Functions;

/// <summary>The Azure SDK's own logs, which the Azure client factory forwards to the app's log.</summary>
public sealed class AzureSdkLoggingTests
{
    [Fact]
    public void Only_the_SDKs_errors_reach_the_log_by_default()
    {
        using var host = Build([]);
        var logs = host.Services.GetRequiredService<ILoggerFactory>();

        Assert.False(logs.CreateLogger("Azure.Core").IsEnabled(LogLevel.Warning));
        Assert.True(logs.CreateLogger("Azure.Core").IsEnabled(LogLevel.Error));
        Assert.False(logs.CreateLogger("Azure.Identity").IsEnabled(LogLevel.Information));
        // The app's own entries are not affected.
        Assert.True(logs.CreateLogger("Paypro.Functions.Transactions.TransactionProcessor").IsEnabled(LogLevel.Information));
    }

    [Theory]
    [InlineData("Information")]
    [InlineData("Warning")]
    public void The_setting_brings_the_rest(string level)
    {
        using var host = Build(new() { [PayproFunctionsExtensions.AzureSdkLogLevelSetting] = level });
        var logs = host.Services.GetRequiredService<ILoggerFactory>();

        Assert.True(logs.CreateLogger("Azure.Core").IsEnabled(Enum.Parse<LogLevel>(level)));
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddFakeLogging();
        builder.Services.AddPayproFunctions(builder.Configuration);
        return builder.Build();
    }
}
