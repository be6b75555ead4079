using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Paypro.Functions.Storage;

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

    [Fact]
    public void The_storage_clients_leave_their_request_log_out_by_default()
    {
        using var host = Build([]);

        Assert.False(StorageClientOptions<TableClientOptions>(host).Diagnostics.IsLoggingEnabled);
        Assert.False(StorageClientOptions<QueueClientOptions>(host).Diagnostics.IsLoggingEnabled);
    }

    [Theory]
    [InlineData(PayproFunctionsExtensions.AzureSdkLogLevelSetting)]
    [InlineData("Logging:LogLevel:Azure.Core")]
    [InlineData("Logging:LogLevel:azure.data.tables")]
    public void The_storage_clients_log_their_requests_when_the_setting_asks(string setting)
    {
        using var host = Build(new() { [setting] = "Information" });

        Assert.True(StorageClientOptions<TableClientOptions>(host).Diagnostics.IsLoggingEnabled);
        Assert.True(StorageClientOptions<QueueClientOptions>(host).Diagnostics.IsLoggingEnabled);
    }

    [Fact]
    public void Another_category_does_not_turn_the_request_log_on()
    {
        using var host = Build(new()
        {
            ["Logging:LogLevel:AzureFunctionsJobHost"] = "Information",
            ["Logging:LogLevel:Default"] = "Debug",
        });

        Assert.False(StorageClientOptions<TableClientOptions>(host).Diagnostics.IsLoggingEnabled);
    }

    private static TOptions StorageClientOptions<TOptions>(IHost host)
        where TOptions : class =>
        host.Services.GetRequiredService<IOptionsMonitor<TOptions>>().Get(StorageAccount.ClientName);

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
