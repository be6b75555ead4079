using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Paypro.Functions.Hosting;
using Paypro.Functions.Tests.Infrastructure;

namespace Paypro.Functions.Tests.Hosting;

/// <summary>
/// The function.json files are what the host reads; the app's registrations are what answers. These tests
/// hold the two together: every folder matches a route or a registered function of the real app, and every
/// function the app registers has its folder.
/// </summary>
public sealed class FunctionJsonContractTests
{
    /// <summary>The functions of the design, by folder name.</summary>
    private static readonly string[] DesignedFunctions =
        ["PayproNotify", "SubmitPayout", "SubmitPayin", "PollPendingPayouts", "GetPayout", "GetPayin", "CheckPayout", "MpesaLookup", "GetBalance"];

    public static TheoryData<string> FunctionFolders() => new(Directory.GetDirectories(RepositoryPaths.FunctionFolders).Select(Path.GetFileName).Order()!);

    [Fact]
    public void There_is_one_folder_per_designed_function()
    {
        Assert.Equal(DesignedFunctions.Order(), Directory.GetDirectories(RepositoryPaths.FunctionFolders).Select(Path.GetFileName).Order());
    }

    [Theory]
    [MemberData(nameof(FunctionFolders))]
    public void Function_json_has_the_binding_shape_the_host_and_the_app_expect(string name)
    {
        using var json = ReadFunctionJson(name);
        var bindings = json.RootElement.GetProperty("bindings").EnumerateArray().ToList();
        var trigger = Assert.Single(bindings, b => b.GetProperty("direction").GetString() == "in");

        switch (trigger.GetProperty("type").GetString())
        {
            case "httpTrigger":
                Assert.Equal("req", trigger.GetProperty("name").GetString());
                Assert.Equal("function", trigger.GetProperty("authLevel").GetString());
                Assert.False(string.IsNullOrEmpty(trigger.GetProperty("route").GetString()));
                Assert.False(trigger.GetProperty("route").GetString()!.StartsWith('/'));
                Assert.NotEmpty(trigger.GetProperty("methods").EnumerateArray());
                // Forwarding the raw request needs exactly one http trigger and one http output.
                Assert.Equal(2, bindings.Count);
                var output = Assert.Single(bindings, b => b.GetProperty("direction").GetString() == "out");
                Assert.Equal("http", output.GetProperty("type").GetString());
                Assert.Equal("res", output.GetProperty("name").GetString());
                break;
            case "queueTrigger":
                Assert.Equal(QueueFunctionDescriptor.TriggerBindingName, trigger.GetProperty("name").GetString());
                Assert.Matches("^%[A-Za-z]+%$", trigger.GetProperty("queueName").GetString());
                Assert.Equal("AzureWebJobsStorage", trigger.GetProperty("connection").GetString());
                Assert.Single(bindings);
                break;
            case "timerTrigger":
                Assert.Equal(TimerFunctionDescriptor.TriggerBindingName, trigger.GetProperty("name").GetString());
                Assert.Matches("^%[A-Za-z]+%$", trigger.GetProperty("schedule").GetString());
                Assert.Single(bindings);
                break;
            default:
                Assert.Fail($"{name}/function.json has an unexpected trigger type.");
                break;
        }
    }

    [Theory]
    [MemberData(nameof(FunctionFolders))]
    public async Task Function_json_matches_what_the_real_app_registers(string name)
    {
        await using var app = BuildRealApp();
        using var json = ReadFunctionJson(name);
        var trigger = json.RootElement.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("direction").GetString() == "in");
        var functions = app.Services.GetServices<FunctionDescriptor>().ToList();

        switch (trigger.GetProperty("type").GetString())
        {
            case "httpTrigger":
                var endpoint = Assert.Single(ApiEndpoints(app), e => e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName == name);
                Assert.Equal("api/" + trigger.GetProperty("route").GetString(), endpoint.RoutePattern.RawText!.TrimStart('/'), ignoreCase: true);
                var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [];
                Assert.Equal(trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToUpperInvariant()).Order(), methods.Order());
                break;
            case "queueTrigger":
                var queue = Assert.IsType<QueueFunctionDescriptor>(Assert.Single(functions, f => f.Name == name));
                Assert.Equal(trigger.GetProperty("name").GetString(), queue.BindingName);
                Assert.Equal($"%{queue.Setting}%", trigger.GetProperty("queueName").GetString());
                break;
            case "timerTrigger":
                var timer = Assert.IsType<TimerFunctionDescriptor>(Assert.Single(functions, f => f.Name == name));
                Assert.Equal(trigger.GetProperty("name").GetString(), timer.BindingName);
                Assert.Equal($"%{timer.Setting}%", trigger.GetProperty("schedule").GetString());
                break;
        }
    }

    [Fact]
    public async Task Every_function_the_real_app_registers_has_a_function_json()
    {
        await using var app = BuildRealApp();
        var folders = Directory.GetDirectories(RepositoryPaths.FunctionFolders).Select(Path.GetFileName).ToHashSet();

        var registered = app.Services.GetServices<FunctionDescriptor>().Select(f => f.Name)
            .Concat(ApiEndpoints(app).Select(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? e.RoutePattern.RawText!))
            .ToList();

        Assert.NotEmpty(registered);
        Assert.All(registered, function => Assert.Contains(function, folders));
    }

    /// <summary>The real app, composed for the host, built but not started: registrations only.</summary>
    private static WebApplication BuildRealApp() => FunctionsApp.Build(
    [
        "--contentRoot=" + AppContext.BaseDirectory,
        "--FUNCTIONS_CUSTOMHANDLER_PORT=0",
        "--AzureWebJobsStorage=UseDevelopmentStorage=true",
        "--Paypro:BaseUrl=http://127.0.0.1:5080",
        "--Paypro:MerchantNo=1000000001",
        "--Paypro:AppSecret=contract-test-secret",
        "--Paypro:NotifyUrl=http://127.0.0.1:7071/api/paypro/notify?code=contract-test",
    ]);

    private static IEnumerable<RouteEndpoint> ApiEndpoints(WebApplication app) =>
        ((IEndpointRouteBuilder)app).DataSources.SelectMany(source => source.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.TrimStart('/').StartsWith("api/", StringComparison.OrdinalIgnoreCase));

    private static JsonDocument ReadFunctionJson(string name) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.FunctionFolders, name, "function.json")));
}
