using System.Diagnostics;
using System.Globalization;
using System.Net;
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
    public async Task A_function_disabled_by_the_platform_switch_does_not_run_and_its_messages_wait_until_it_is_enabled_again()
    {
        var settings = Settings();
        settings["AzureWebJobs.SubmitPayout.Disabled"] = "true";
        settings["AzureWebJobs.GetBalance.Disabled"] = "true";
        settings["AzureWebJobs.PollPendingTransactions.Disabled"] = "true";
        settings["PollSchedule"] = "*/1 * * * * *";
        var payouts = azurite.CreateQueueServiceClient().GetQueueClient(settings["PayoutsQueueName"]!);
        await payouts.CreateIfNotExistsAsync();
        var tradeNo = TestTradeNos.New("OFF");

        await using (var paused = await EmulatorApp.StartAsync(settings))
        {
            await payouts.SendMessageAsync($$"""{"tradeNo":"{{tradeNo}}","amount":120,"mobile":"{{TestMobiles.Success}}"}""");
            using var balance = await paused.GetWithKeyAsync("/api/balance");
            using var enabled = await paused.GetWithKeyAsync($"/api/payouts/{tradeNo}");

            Assert.Equal(HttpStatusCode.NotFound, balance.StatusCode);
            // The other functions run: this one answers from the worker, in its own words.
            Assert.Contains($"No payout has tradeNo {tradeNo}.", await enabled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            // The message stays on the queue, untouched (never dequeued), and the poll never runs, through several of
            // its one-second schedules.
            await Eventually.HoldsForAsync(
                async () => (await payouts.PeekMessagesAsync()).Value.SingleOrDefault()?.DequeueCount == 0
                    && !paused.Logs.GetSnapshot().Any(entry => entry.Message.StartsWith("Poll: ", StringComparison.Ordinal)),
                "the disabled functions stay idle",
                TimeSpan.FromSeconds(4));
            Assert.Null(await paused.GetPayoutAsync(tradeNo));
            Assert.Empty(_sandbox.Ledger.Requests);
        }

        // Enabled again (under the host, changing the app setting restarts the app): the message that waited goes.
        settings.Remove("AzureWebJobs.SubmitPayout.Disabled");
        await using var resumed = await EmulatorApp.StartAsync(settings);
        await Eventually.UntilAsync(
            () => _sandbox.Ledger.Requests.Any(request => request.TradeNo == tradeNo && request.IsCreate),
            "the payout that waited reached Paypro",
            TimeSpan.FromSeconds(60));
        Assert.Single(_sandbox.Ledger.Requests, request => request.TradeNo == tradeNo && request.IsCreate);
        Assert.Single(_sandbox.Ledger.Entries, entry => entry.TradeNo == tradeNo);
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
        Assert.Contains(
            app.Logs.GetSnapshot(),
            entry => entry.Id.Id == 2023
                && entry.Message.Contains(sent.Value.MessageId, StringComparison.Ordinal)
                && entry.Message.Contains("attempt 1 of 2", StringComparison.Ordinal));
        Assert.Contains(
            app.Logs.GetSnapshot(),
            entry => entry.Id.Id == 2022 && entry.Message.Contains(sent.Value.MessageId, StringComparison.Ordinal));
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
        // The worker's start is logged too (2031), with the process id its readiness names (2032): where a start-up is timed from.
        Assert.Contains(app.Logs.GetSnapshot(), entry => entry.Id.Id == 2031 && entry.StructuredState!.Any(p => p.Key == "ProcessId"
            && Convert.ToInt32(p.Value, CultureInfo.InvariantCulture) == first));

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
