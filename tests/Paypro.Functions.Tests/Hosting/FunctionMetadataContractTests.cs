using System.Text.Json;
using Paypro.Functions.Configuration;
using Paypro.Functions.DevHost;

namespace Paypro.Functions.Tests.Hosting;

/// <summary>
/// The functions.metadata the SDK generates at build is what the Functions host indexes the app by. These tests
/// read that file and pin every function's trigger: a wrong attribute (route, method, level, queue or schedule
/// setting, binding type) fails here. They also prove the development host reads the same functions from the
/// attributes, so it serves what the host would.
/// </summary>
public sealed class FunctionMetadataContractTests
{
    public static TheoryData<string, string, string, string> HttpFunctions => new()
    {
        { "PayproNotify", "post", "paypro/notify", "Function" },
        { "GetPayout", "get", "payouts/{tradeNo}", "Function" },
        { "GetPayin", "get", "payins/{tradeNo}", "Function" },
        { "CheckPayout", "post", "payouts/{tradeNo}/check", "Function" },
        { "CheckPayin", "post", "payins/{tradeNo}/check", "Function" },
        { "MpesaLookup", "get", "mpesa/{code}", "Function" },
        { "GetBalance", "get", "balance", "Function" },
        { "EnqueuePayout", "post", "payouts", "Function" },
        { "EnqueuePayin", "post", "payins", "Function" },
        { "ListTransactions", "get", "transactions", "Function" },
        { "ListPendingTransactions", "get", "transactions/pending", "Function" },
        { "ListPoisonMessages", "get", "poison/{queue}", "Function" },
        { "GetReconciliation", "get", "reconciliation/{date}", "Function" },
        // It can move money: the master key only.
        { "RedrivePoisonMessages", "post", "poison/{queue}/redrive", "Admin" },
        // The money controls' operator side: a release moves money, and the three go together.
        { "ListHeldPayouts", "get", "transactions/held", "Admin" },
        { "ReleasePayout", "post", "payouts/{tradeNo}/release", "Admin" },
        { "CancelPayout", "post", "payouts/{tradeNo}/cancel", "Admin" },
    };

    [Fact]
    public void The_app_has_exactly_the_documented_functions()
    {
        var names = Metadata().Select(f => f.GetProperty("name").GetString()!).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(
            [
                "CancelPayout",
                "CheckPayin",
                "CheckPayout",
                "EnqueuePayin",
                "EnqueuePayout",
                "GetBalance",
                "GetPayin",
                "GetPayout",
                "GetReconciliation",
                "ListHeldPayouts",
                "ListPendingTransactions",
                "ListPoisonMessages",
                "ListTransactions",
                "MpesaLookup",
                "PayproNotify",
                "PollPendingTransactions",
                "PurgeAuditTrail",
                "ReconcileTransactions",
                "RedrivePoisonMessages",
                "ReleasePayout",
                "SubmitPayin",
                "SubmitPayout",
            ],
            names);
        Assert.All(Metadata(), f =>
        {
            Assert.Equal("dotnet-isolated", f.GetProperty("language").GetString());
            Assert.Equal("Paypro.Functions.dll", f.GetProperty("scriptFile").GetString());
            Assert.Equal($"Paypro.Functions.Functions.{f.GetProperty("name").GetString()}.Run", f.GetProperty("entryPoint").GetString());
        });
    }

    [Theory]
    [MemberData(nameof(HttpFunctions))]
    public void Http_function_has_its_method_route_and_authorization_level(string name, string method, string route, string authLevel)
    {
        var trigger = Trigger(name);

        Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal("request", trigger.GetProperty("name").GetString());
        Assert.Equal([method], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Equal(authLevel, trigger.GetProperty("authLevel").GetString());
        var output = Assert.Single(Bindings(name), b => b.GetProperty("direction").GetString() == "Out");
        Assert.Equal("http", output.GetProperty("type").GetString());
        Assert.Equal("$return", output.GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("SubmitPayout", QueueNames.PayoutsSetting)]
    [InlineData("SubmitPayin", QueueNames.PayinsSetting)]
    public void Queue_function_binds_a_QueueMessage_from_the_queue_its_setting_names(string name, string setting)
    {
        var trigger = Trigger(name);

        Assert.Equal("queueTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal("message", trigger.GetProperty("name").GetString());
        Assert.Equal($"%{setting}%", trigger.GetProperty("queueName").GetString());
        // No connection named: the host uses AzureWebJobsStorage, the account the app itself uses.
        Assert.False(trigger.TryGetProperty("connection", out _));
        // Deferred binding is how the worker hands over a QueueMessage (id, dequeue count) instead of a string.
        Assert.Equal("True", trigger.GetProperty("properties").GetProperty("supportsDeferredBinding").GetString());
        Assert.Single(Bindings(name));
    }

    [Fact]
    public void Every_setting_a_trigger_names_is_set_by_the_deployment_and_the_local_settings()
    {
        // The host has no default for a %Setting% binding expression: a missing app setting stops the function.
        var named = Metadata().SelectMany(f => f.GetProperty("bindings").EnumerateArray())
            .SelectMany(b => new[] { "queueName", "schedule" }.Select(p => b.TryGetProperty(p, out var v) ? v.GetString() : null))
            .Where(v => v is { Length: > 2 } && v[0] == '%' && v[^1] == '%')
            .Select(v => v![1..^1])
            .Distinct()
            .ToList();
        var bicep = File.ReadAllText(Path.Combine(Infrastructure.RepositoryPaths.Root, "infra-bicep", "modules", "functionapp.bicep"));
        using var local = JsonDocument.Parse(
            File.ReadAllText(Path.Combine(Infrastructure.RepositoryPaths.Root, "local.settings.sample.json")));

        Assert.Contains(TimerSchedules.PollSetting, named);
        Assert.All(named, setting =>
        {
            Assert.Contains($"name: '{setting}'", bicep, StringComparison.Ordinal);
            Assert.True(
                local.RootElement.GetProperty("Values").TryGetProperty(setting, out var value)
                    && value.GetString() is { Length: > 0 },
                $"local.settings.sample.json does not set {setting}.");
        });
    }

    [Theory]
    [InlineData("PollPendingTransactions", TimerSchedules.PollSetting)]
    [InlineData("PurgeAuditTrail", TimerSchedules.AuditPurgeSetting)]
    [InlineData("ReconcileTransactions", TimerSchedules.ReconcileSetting)]
    public void Timer_function_runs_on_its_schedule_setting(string name, string setting)
    {
        var trigger = Trigger(name);

        Assert.Equal("timerTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal("timer", trigger.GetProperty("name").GetString());
        Assert.Equal($"%{setting}%", trigger.GetProperty("schedule").GetString());
        Assert.False(trigger.TryGetProperty("runOnStartup", out var runOnStartup) && runOnStartup.GetBoolean());
        Assert.Single(Bindings(name));
    }

    [Fact]
    public void The_development_host_reads_the_same_functions_and_triggers_from_the_attributes()
    {
        var catalog = FunctionCatalog.ForApp();

        Assert.Equal(
            Metadata().Select(f => f.GetProperty("name").GetString()).Order(StringComparer.Ordinal),
            catalog.Functions.Select(f => f.Name));
        foreach (var function in catalog.Functions)
        {
            var trigger = Trigger(function.Name);
            switch (function)
            {
                case HttpFunction http:
                    Assert.Equal(trigger.GetProperty("route").GetString(), http.Route);
                    Assert.Equal(trigger.GetProperty("authLevel").GetString(), http.AuthLevel.ToString());
                    Assert.Equal(trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()), http.Methods);
                    break;
                case QueueFunction queue:
                    Assert.Equal(trigger.GetProperty("queueName").GetString(), queue.QueueNameExpression);
                    break;
                case TimerFunction timer:
                    Assert.Equal(trigger.GetProperty("schedule").GetString(), timer.ScheduleExpression);
                    break;
            }
            Assert.Equal(Metadata().Single(f => f.GetProperty("name").GetString() == function.Name).GetProperty("entryPoint").GetString(),
                $"{function.FunctionClass!.FullName}.{function.Method!.Name}");
        }
    }

    [Fact]
    public void The_build_output_is_an_isolated_worker_and_the_repository_has_no_function_json()
    {
        using var worker = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "worker.config.json")));
        var description = worker.RootElement.GetProperty("description");
        Assert.Equal("dotnet-isolated", description.GetProperty("language").GetString());
        Assert.Equal("Paypro.Functions.dll", Path.GetFileName(description.GetProperty("defaultWorkerPath").GetString()));

        var functionJson = Directory.EnumerateFiles(Infrastructure.RepositoryPaths.Root, "function.json", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}node_modules{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}artifacts{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        Assert.Empty(functionJson);
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(Infrastructure.RepositoryPaths.Root, "host.json")));
        Assert.False(host.RootElement.TryGetProperty("customHandler", out _));
        Assert.False(
            host.RootElement.TryGetProperty("extensionBundle", out _),
            "An isolated-worker app brings its extensions itself; host.json takes no extension bundle.");
    }

    private static JsonElement[] Metadata()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "functions.metadata");
        Assert.True(File.Exists(path), $"{path} is missing: the Functions SDK generates it when src/Paypro.Functions builds.");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return [.. document.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    private static IEnumerable<JsonElement> Bindings(string function) =>
        Metadata().Single(f => f.GetProperty("name").GetString() == function).GetProperty("bindings").EnumerateArray();

    private static JsonElement Trigger(string function) =>
        Assert.Single(Bindings(function), b => b.GetProperty("direction").GetString() == "In");
}
