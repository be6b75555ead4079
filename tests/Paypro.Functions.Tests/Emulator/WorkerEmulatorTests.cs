using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Paypro.Functions.DevHost.Emulator;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Sandbox;

namespace Paypro.Functions.Tests.Emulator;

/// <summary>
/// The contract between the host and the worker, run the way the host runs it: the emulator starts the real worker
/// (the function app's build output, with its Program.cs, middleware and converters) as a process and talks to it over
/// the host's gRPC protocol. Each test checks that a trigger fires in the worker, that its binding arrives as the
/// worker's converter reads it, and that its result comes back.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class WorkerEmulatorTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private SandboxHost _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await SandboxHost.StartAsync(options => options.ControlEnabled = true);

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    private Dictionary<string, string?> Settings() => EmulatorApp.Settings(azurite, _sandbox);

    [Fact]
    public async Task An_http_function_answers_through_the_worker_with_its_route_values_status_and_body()
    {
        await using var app = await EmulatorApp.StartAsync(Settings());
        var tradeNo = TestTradeNos.New();

        using var unknown = await app.GetWithKeyAsync($"/api/payouts/{tradeNo}");
        using var withoutKey = await app.Http.GetAsync($"/api/payouts/{tradeNo}");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        // The route value reached the function's string parameter through the trigger metadata.
        Assert.Contains($"No payout has tradeNo {tradeNo}.", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, withoutKey.StatusCode);
        var ready = Assert.Single(app.ReadyWorkers());
        // The worker's start is logged too (2031), with the process id its readiness names (2032): where a start-up is timed from.
        Assert.Contains(app.Logs.GetSnapshot(), entry => entry.Id.Id == 2031 && entry.StructuredState!.Any(p => p.Key == "ProcessId"
            && Convert.ToInt32(p.Value, CultureInfo.InvariantCulture) == ready));
    }

    [Fact]
    public async Task A_queue_message_reaches_the_worker_as_a_QueueMessage_with_its_id_and_dequeue_count()
    {
        var settings = Settings();
        await using var app = await EmulatorApp.StartAsync(settings);
        var tradeNo = TestTradeNos.New();
        var queue = azurite.CreateQueueServiceClient().GetQueueClient(settings["PayoutsQueueName"]!);
        await queue.CreateIfNotExistsAsync();

        var sent = await queue.SendMessageAsync($$"""{"tradeNo":"{{tradeNo}}","amount":120,"mobile":"{{TestMobiles.Success}}"}""");

        JsonElement? found = null;
        await Eventually.UntilAsync(async () => (found = await app.GetPayoutAsync(tradeNo)) is not null, $"payout {tradeNo} is recorded", TimeSpan.FromSeconds(60));
        var payout = found!.Value;
        var history = payout.GetProperty("history").EnumerateArray().Select(entry => entry.TryGetProperty("detail", out var detail) ? detail.GetString() : null);
        // The app records the message's id and delivery count, read from the QueueMessage the worker's converter made.
        Assert.Contains(history, detail => detail?.Contains($"message {sent.Value.MessageId} (delivery 1)", StringComparison.Ordinal) == true);
        Assert.Equal(tradeNo, payout.GetProperty("tradeNo").GetString());
    }

    [Fact]
    public async Task A_timer_fires_in_the_worker_with_its_TimerInfo_and_the_worker_log_reaches_the_emulator()
    {
        var settings = Settings();
        settings["PollSchedule"] = "*/1 * * * * *";
        await using var app = await EmulatorApp.StartAsync(settings);

        // The poller logs whether its run was past due, which it reads from the TimerInfo the worker deserialised.
        await Eventually.UntilAsync(() => app.Logs.GetSnapshot().Any(entry => entry.Message.StartsWith("Poll: ", StringComparison.Ordinal)
            && entry.Message.Contains("(past due: False)", StringComparison.Ordinal)), "the timer fired and the poller ran in the worker", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_failing_queue_message_is_retried_then_moved_to_the_poison_queue()
    {
        // A private Azurite whose Table service is stopped once the emulator is up: the worker cannot record the payout.
        await using var storage = await AzuriteFixture.StartAsync();
        var settings = EmulatorApp.Settings(storage, _sandbox);
        settings["AzureFunctionsJobHost:extensions:queues:maxDequeueCount"] = "2";
        await using var app = await EmulatorApp.StartAsync(settings);
        await storage.StopTableServiceAsync();
        var queues = storage.CreateQueueServiceClient();
        var text = $$"""{"tradeNo":"{{TestTradeNos.New()}}","amount":120,"mobile":"{{TestMobiles.Success}}"}""";

        var sent = await queues.GetQueueClient(settings["PayoutsQueueName"]!).SendMessageAsync(text);

        var poison = queues.GetQueueClient(settings["PayoutsQueueName"]! + "-poison");
        Azure.Storage.Queues.Models.QueueMessage? moved = null;
        await Eventually.UntilAsync(async () => (moved = (await poison.ReceiveMessagesAsync(1)).Value.FirstOrDefault()) is not null,
            "the message is in the poison queue", TimeSpan.FromSeconds(120));
        Assert.Equal(text, moved!.Body.ToString());
        Assert.Contains(app.Logs.GetSnapshot(), entry => entry.Id.Id == 2023 && entry.Message.Contains(sent.Value.MessageId, StringComparison.Ordinal)
            && entry.Message.Contains("attempt 1 of 2", StringComparison.Ordinal));
        Assert.Contains(app.Logs.GetSnapshot(), entry => entry.Id.Id == 2022 && entry.Message.Contains(sent.Value.MessageId, StringComparison.Ordinal));
        Assert.Empty((await queues.GetQueueClient(settings["PayoutsQueueName"]!).PeekMessagesAsync()).Value);
    }

    [Fact]
    public async Task A_worker_that_cannot_start_stops_the_emulator_with_the_workers_reason_naming_the_setting()
    {
        var settings = Settings();
        settings["Paypro:BaseUrl"] = null;
        var started = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<WorkerStartupException>(() => EmulatorApp.StartAsync(settings));

        Assert.Contains("Paypro:BaseUrl", error.Message, StringComparison.Ordinal);
        Assert.Contains("stopped before it was ready", error.Message, StringComparison.Ordinal);
        // One attempt, not a restart loop: it gives up as soon as the worker exits.
        Assert.True(started.Elapsed < WorkerEmulator.StartupTimeout, $"it took {started.Elapsed}");
    }

    [Fact]
    public async Task A_worker_that_dies_is_restarted_and_serves_again()
    {
        await using var app = await EmulatorApp.StartAsync(Settings());
        var first = Assert.Single(app.ReadyWorkers());

        using (var worker = Process.GetProcessById(first))
        {
            worker.Kill(entireProcessTree: true);
        }

        await Eventually.UntilAsync(() => app.ReadyWorkers().Count == 2, "a new worker is ready", TimeSpan.FromSeconds(60));
        Assert.NotEqual(first, app.ReadyWorkers()[1]);
        using var answer = await app.GetWithKeyAsync($"/api/payouts/{TestTradeNos.New()}");
        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
    }
}
