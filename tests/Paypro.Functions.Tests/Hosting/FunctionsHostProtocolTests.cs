using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Paypro.Functions.Hosting;
using Paypro.Functions.Tests.Infrastructure;

namespace Paypro.Functions.Tests.Hosting;

/// <summary>
/// The custom-handler wire contract: golden payloads shaped like the real Functions host's (with its
/// quirks) are posted to the handler running in host mode on a loopback port.
/// </summary>
public sealed class FunctionsHostProtocolTests
{
    private const string QueueFunctionName = "SubmitThing";
    private const string TimerFunctionName = "PollThings";

    [Fact]
    public async Task Queue_invocation_with_the_hosts_quirks_reaches_the_function_unquoted()
    {
        var recorder = new FunctionRecorder();
        await using var app = await StartUnderHostAsync(recorder, ("ThingsQueueName", "things-from-setting"));

        using var response = await PostGoldenAsync(app, QueueFunctionName, "queue-invocation.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var trigger = Assert.Single(recorder.QueueTriggers);
        Assert.Equal("""{"tradeNo":"T-1001","amount":"1500","mobile":"254712345678"}""", trigger.MessageText);
        Assert.Equal("5f0c2b3e-9a61-4d0e-8d1a-2c7f4e9b1a10", trigger.MessageId);
        Assert.Equal(3, trigger.DequeueCount);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero), trigger.InsertedOn);
        Assert.Equal(QueueFunctionName, trigger.FunctionName);
        Assert.Equal("things-from-setting", trigger.QueueName);
        Assert.Equal(5, trigger.MaxDequeueCount);
        Assert.False(trigger.IsLastAttempt);
    }

    [Fact]
    public async Task Queue_invocation_answer_is_the_custom_handler_envelope()
    {
        var recorder = new FunctionRecorder();
        await using var app = await StartUnderHostAsync(recorder);

        using var response = await PostGoldenAsync(app, QueueFunctionName, "queue-invocation.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.Object, answer.RootElement.GetProperty("Outputs").ValueKind);
        Assert.Empty(answer.RootElement.GetProperty("Outputs").EnumerateObject());
        Assert.Equal(JsonValueKind.Array, answer.RootElement.GetProperty("Logs").ValueKind);
        Assert.Contains(answer.RootElement.GetProperty("Logs").EnumerateArray(), line => line.GetString()!.Contains("succeeded", StringComparison.Ordinal));
        Assert.Equal(JsonValueKind.Null, answer.RootElement.GetProperty("ReturnValue").ValueKind);
    }

    [Fact]
    public async Task Queue_invocation_with_plain_text_and_numeric_dequeue_count_is_accepted()
    {
        var recorder = new FunctionRecorder();
        await using var app = await StartUnderHostAsync(recorder);

        using var response = await PostGoldenAsync(app, QueueFunctionName, "queue-invocation-plain.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var trigger = Assert.Single(recorder.QueueTriggers);
        Assert.Equal("""{"tradeNo":"T-1002","amount":"50"}""", trigger.MessageText);
        Assert.Equal("c1f3a7d2-0b4e-4f6a-9c8d-7e5f3a1b2c4d", trigger.MessageId);
        Assert.Equal(1, trigger.DequeueCount);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero), trigger.InsertedOn);
        Assert.Equal("things", trigger.QueueName);
    }

    [Fact]
    public async Task Queue_function_that_throws_fails_the_invocation_with_a_json_error_and_logs_it()
    {
        var recorder = new FunctionRecorder { OnQueue = (_, _) => throw new InvalidOperationException("storage is down") };
        await using var app = await StartUnderHostAsync(recorder);

        using var response = await PostGoldenAsync(app, QueueFunctionName, "queue-invocation.json");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("storage is down", answer.RootElement.GetProperty("Error").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Object, answer.RootElement.GetProperty("Outputs").ValueKind);
        // The host drops Logs of a failed invocation, so the failure must reach stdout through the logger.
        Assert.Contains(app.Logs.Entries, entry => entry.Level == LogLevel.Error && entry.Exception is InvalidOperationException && entry.Message.Contains(QueueFunctionName, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Logs_written_by_the_function_come_back_in_the_answer()
    {
        var recorder = new FunctionRecorder();
        await using var app = await StartUnderHostAsync(recorder);
        var logger = app.App.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Test.Function");
        recorder.OnQueue = (trigger, _) =>
        {
            logger.LogInformation("handled {MessageId}", trigger.MessageId);
            return Task.CompletedTask;
        };

        using var response = await PostGoldenAsync(app, QueueFunctionName, "queue-invocation.json");

        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains(answer.RootElement.GetProperty("Logs").EnumerateArray(), line => line.GetString()!.Contains("handled 5f0c2b3e-9a61-4d0e-8d1a-2c7f4e9b1a10", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Timer_invocation_with_schedule_status_reaches_the_function()
    {
        var recorder = new FunctionRecorder();
        await using var app = await StartUnderHostAsync(recorder);

        using var response = await PostGoldenAsync(app, TimerFunctionName, "timer-invocation.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var trigger = Assert.Single(recorder.TimerTriggers);
        Assert.Equal(TimerFunctionName, trigger.FunctionName);
        Assert.False(trigger.IsPastDue);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero), trigger.LastRun);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 1, 0, TimeSpan.Zero), trigger.NextRun);
    }

    [Fact]
    public async Task Timer_invocation_without_schedule_status_reaches_the_function()
    {
        var recorder = new FunctionRecorder();
        await using var app = await StartUnderHostAsync(recorder);

        using var response = await PostGoldenAsync(app, TimerFunctionName, "timer-invocation-no-status.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var trigger = Assert.Single(recorder.TimerTriggers);
        Assert.True(trigger.IsPastDue);
        Assert.Null(trigger.LastRun);
        Assert.Null(trigger.NextRun);
    }

    [Fact]
    public async Task Timer_info_sent_as_a_string_holding_json_is_accepted()
    {
        var recorder = new FunctionRecorder();
        await using var app = await StartUnderHostAsync(recorder);
        var body = """{"Data":{"timer":"{\"Schedule\":{},\"ScheduleStatus\":{\"Last\":\"0001-01-01T00:00:00\",\"Next\":\"2026-11-24T10:02:00Z\"},\"IsPastDue\":\"False\"}"},"Metadata":{}}""";

        using var response = await app.Http.PostAsync("/" + TimerFunctionName, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var trigger = Assert.Single(recorder.TimerTriggers);
        Assert.False(trigger.IsPastDue);
        Assert.Null(trigger.LastRun);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 2, 0, TimeSpan.Zero), trigger.NextRun);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1,2]", "JSON object")]
    [InlineData("""{"Metadata":{"Id":"x","DequeueCount":"1"}}""", "no Data")]
    [InlineData("""{"Data":{"myQueueItem":"x"},"Metadata":{"Id":"x","DequeueCount":"1"}}""", "Data.message")]
    [InlineData("""{"Data":{"message":"x"},"Metadata":{"DequeueCount":"1"}}""", "Metadata.Id")]
    [InlineData("""{"Data":{"message":"x"},"Metadata":{"Id":"x"}}""", "Metadata.DequeueCount")]
    [InlineData("""{"Data":{"message":"x"},"Metadata":{"Id":"x","DequeueCount":"three"}}""", "whole number")]
    [InlineData("""{"Data":{"message":"x"},"Metadata":{"Id":"x","DequeueCount":"0"}}""", "at least 1")]
    [InlineData("""{"Data":{"message":"x"},"Metadata":{"Id":"x","DequeueCount":"1","InsertionTime":"yesterday"}}""", "date and time")]
    public async Task Malformed_queue_invocation_is_refused_without_running_the_function(string body, string expected)
    {
        var recorder = new FunctionRecorder();
        await using var app = await StartUnderHostAsync(recorder);

        using var response = await app.Http.PostAsync("/" + QueueFunctionName, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains(expected, answer.RootElement.GetProperty("Error").GetString(), StringComparison.Ordinal);
        Assert.Empty(recorder.QueueTriggers);
    }

    [Theory]
    [InlineData("""{"Data":{},"Metadata":{}}""", "Data.timer")]
    [InlineData("""{"Data":{"timer":"not json"},"Metadata":{}}""", "does not hold JSON")]
    [InlineData("""{"Data":{"timer":{"IsPastDue":"maybe"}},"Metadata":{}}""", "true or false")]
    public async Task Malformed_timer_invocation_is_refused_without_running_the_function(string body, string expected)
    {
        var recorder = new FunctionRecorder();
        await using var app = await StartUnderHostAsync(recorder);

        using var response = await app.Http.PostAsync("/" + TimerFunctionName, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(recorder.TimerTriggers);
    }

    [Fact]
    public async Task Host_ping_on_root_answers_200()
    {
        await using var app = await StartUnderHostAsync(new FunctionRecorder());

        using var response = await app.Http.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Handler_listens_on_loopback_at_the_port_the_host_chose_whatever_urls_say()
    {
        var settings = HostingTestApp.UnderHost();
        settings["urls"] = "http://127.0.0.1:0";
        await using var app = await HostingTestApp.StartAsync(settings, builder => Register(builder, new FunctionRecorder()));

        Assert.Equal("127.0.0.1", app.BaseAddress.Host);
        Assert.Equal(settings["FUNCTIONS_CUSTOMHANDLER_PORT"], app.BaseAddress.Port.ToString());
        Assert.Equal(HostingMode.FunctionsHost, app.App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HostingOptions>>().Value.Mode);
    }

    [Fact]
    public async Task Forwarded_http_request_reaches_the_endpoint_unchanged_and_the_app_does_not_check_the_key()
    {
        using var golden = JsonDocument.Parse(await File.ReadAllTextAsync(RepositoryPaths.Golden("http-forwarded-notify.json")));
        var forwarded = golden.RootElement;
        string? seenPath = null, seenQuery = null, seenBody = null;
        await using var app = await HostingTestApp.StartAsync(HostingTestApp.UnderHost(), builder => Register(builder, new FunctionRecorder()), web =>
            web.MapGroup("/api").MapPost("/paypro/notify", async (HttpContext context) =>
            {
                seenPath = context.Request.Path;
                seenQuery = context.Request.QueryString.Value;
                seenBody = await new StreamReader(context.Request.Body).ReadToEndAsync();
                return Results.Text("OK");
            }));

        using var request = new HttpRequestMessage(new HttpMethod(forwarded.GetProperty("Method").GetString()!), forwarded.GetProperty("Path").GetString() + forwarded.GetProperty("Query").GetString());
        request.Content = new StringContent(forwarded.GetProperty("Body").GetString()!, Encoding.UTF8, "application/json");
        foreach (var header in forwarded.GetProperty("Headers").EnumerateObject().Where(h => h.Name != "Content-Type"))
        {
            request.Headers.TryAddWithoutValidation(header.Name, header.Value.GetString());
        }
        using var response = await app.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("OK", await response.Content.ReadAsStringAsync());
        Assert.Equal("/api/paypro/notify", seenPath);
        Assert.Equal("?code=host-checked-function-key", seenQuery);
        Assert.Equal(forwarded.GetProperty("Body").GetString(), seenBody);
    }

    [Fact]
    public async Task Unknown_function_is_not_found()
    {
        await using var app = await StartUnderHostAsync(new FunctionRecorder());

        using var response = await app.Http.PostAsync("/NoSuchFunction", new StringContent("{}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    internal static void Register(WebApplicationBuilder builder, FunctionRecorder recorder)
    {
        builder.Services.AddSingleton(recorder);
        builder.Services.AddQueueFunction<RecordingQueueFunction>(QueueFunctionName, "ThingsQueueName", "things");
        builder.Services.AddTimerFunction<RecordingTimerFunction>(TimerFunctionName, "ThingsSchedule", "0 */5 * * * *");
    }

    private static Task<HostingTestApp> StartUnderHostAsync(FunctionRecorder recorder, params (string Key, string Value)[] settings)
    {
        var all = HostingTestApp.UnderHost();
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }
        return HostingTestApp.StartAsync(all, builder => Register(builder, recorder));
    }

    private static async Task<HttpResponseMessage> PostGoldenAsync(HostingTestApp app, string functionName, string goldenFile)
    {
        var body = await File.ReadAllTextAsync(RepositoryPaths.Golden(goldenFile));
        return await app.Http.PostAsync("/" + functionName, new StringContent(body, Encoding.UTF8, "application/json"));
    }
}
