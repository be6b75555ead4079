using System.Diagnostics;
using System.Text.Json;
using Paypro.Functions.DevHost;
using Paypro.Functions.Tests.EndToEnd;
using Paypro.Functions.Tests.Hosting;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Sandbox;

namespace Paypro.Functions.Tests.Emulator;

/// <summary>
/// The app as deployed: the content of the deployment zip (<c>./build.sh app-package</c>, ReadyToRun for linux-x64),
/// run by the host emulator as the host runs it, against a storage account of its own and the sandbox. A payout goes
/// end to end, then the worker is killed while payouts are in flight: nothing is paid twice and nothing is lost.
/// </summary>
[Collection(PublishedPackage.CollectionName)]
public sealed class PublishedWorkerTests(PublishedPackage package)
{
    private static readonly TimeSpan Settles = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_payout_from_the_published_zip_succeeds_once_and_a_killed_worker_pays_nothing_twice_and_loses_nothing()
    {
        await using var storage = await AzuriteFixture.StartAsync();
        await using var sandbox = await SandboxHost.StartAsync();
        var settings = EmulatorApp.Settings(storage, sandbox).OnFixedPort();
        settings[DevelopmentHost.WorkerDirectorySetting] = package.Extracted;
        // The poller settles what a dead worker could not hear of (Paypro's callbacks while it was down).
        settings["PollSchedule"] = "*/2 * * * * *";
        // A payout whose create call the kill cut off before it left stays unknown until then, and is then failed as never
        // sent (Paypro does not know it, while its queries find the others).
        settings["Poll:UnknownGracePeriod"] = "00:00:20";
        await using var app = await EmulatorApp.StartAsync(settings);
        var queues = storage.CreateQueueServiceClient();
        var payouts = queues.GetQueueClient(settings["PayoutsQueueName"]);
        var events = new EventsReader(queues.GetQueueClient(settings["EventsQueueName"]));
        var worker = Assert.Single(app.ReadyWorkers());
        // The worker runs from the extracted zip, not from the build output.
        Assert.Contains(
            app.Logs.GetSnapshot(),
            entry => entry.Message.Contains(Path.Combine(package.Extracted, "Paypro.Functions.dll"), StringComparison.Ordinal));

        var first = TestTradeNos.New("PZ");
        await payouts.SendMessageAsync(PayproAppHarness.PayoutMessage(first));

        await WaitForSucceededAsync(app, first);
        Assert.Single(sandbox.Ledger.Entries, entry => entry.TradeNo == first);
        await Eventually.UntilAsync(async () => (await events.ReadAsync(first)).Count > 0, $"the event of {first}", Settles);
        Assert.Equal("payout.succeeded", Assert.Single(await events.ReadAsync(first)).GetProperty("type").GetString());

        // Then a batch, and the worker killed (SIGKILL, no shutdown) while it is being paid.
        var batch = Enumerable.Range(0, 40).Select(_ => TestTradeNos.New("PK")).ToList();
        await Parallel.ForEachAsync(batch, async (tradeNo, _) => await payouts.SendMessageAsync(PayproAppHarness.PayoutMessage(tradeNo)));
        await Eventually.UntilAsync(
            () => sandbox.Ledger.Requests.Count(request => request.IsCreate && batch.Contains(request.TradeNo!)) >= 5,
            "the batch is being paid",
            Settles);
        using (var process = Process.GetProcessById(worker))
        {
            process.Kill(entireProcessTree: true);
        }
        var createdAtKill = sandbox.Ledger.Requests.Count(request => request.IsCreate && batch.Contains(request.TradeNo!));

        await Eventually.UntilAsync(() => app.ReadyWorkers().Count == 2, "the emulator restarted the worker", Settles);
        var states = new Dictionary<string, string>();
        foreach (var tradeNo in batch)
        {
            var view = await WaitForFinalAsync(app, tradeNo);
            states[tradeNo] = view.GetProperty("state").GetString()!;
            // A payout the kill stopped before its create call left fails as never sent, so a retry under a new tradeNo
            // is safe; nothing else may fail here.
            Assert.True(
                states[tradeNo] == "succeeded" || view.GetProperty("notSent").GetBoolean(),
                $"{tradeNo} is {states[tradeNo]} without being never sent");
        }
        states[first] = "succeeded";

        Assert.True(
            createdAtKill < batch.Count,
            $"the worker was killed after the whole batch reached Paypro ({createdAtKill}); the test proved nothing");
        // Nothing paid twice, and nothing paid that the app calls never sent: one ledger entry for each succeeded payout, none for
        // the others.
        Assert.All(
            states,
            pair => Assert.Equal(pair.Value == "succeeded" ? 1 : 0, sandbox.Ledger.Entries.Count(entry => entry.TradeNo == pair.Key)));
        // Nothing lost: each announced its final state, once. Delivery is at least once (a worker killed between an event's
        // send and its outbox row being marked sent sends it again, with the same id), so events count by id.
        await Eventually.UntilAsync(
            async () => (await events.ReadAsync()).Select(e => e.GetProperty("tradeNo").GetString()).Distinct().Count() == states.Count,
            "every payout announced its result",
            Settles);
        await Eventually.HoldsForAsync(
            async () => DistinctIds(await events.ReadAsync()) == states.Count,
            $"exactly {states.Count} distinct events",
            TimeSpan.FromSeconds(3));
        Assert.All((await events.ReadAsync()).GroupBy(e => e.GetProperty("tradeNo").GetString()!), group =>
        {
            Assert.Equal(1, DistinctIds(group));
            Assert.Equal($"payout.{states[group.Key]}", group.First().GetProperty("type").GetString());
        });
    }

    private static int DistinctIds(IEnumerable<JsonElement> events) =>
        events.Select(e => e.GetProperty("id").GetString()).Distinct().Count();

    private static Task WaitForSucceededAsync(HostingTestApp app, string tradeNo) =>
        app.WaitForStateAsync("payouts", tradeNo, "succeeded", Settles);

    private static async Task<JsonElement> WaitForFinalAsync(HostingTestApp app, string tradeNo)
    {
        JsonElement? view = null;
        await Eventually.UntilAsync(
            async () => (view = await app.GetPayoutAsync(tradeNo))?.GetProperty("final").GetBoolean() == true,
            $"payout {tradeNo} is final",
            Settles);
        return view!.Value;
    }
}
