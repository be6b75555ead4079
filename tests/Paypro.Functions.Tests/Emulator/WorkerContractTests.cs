using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using Paypro.Functions.Tests.EndToEnd;
using Paypro.Functions.Tests.Hosting;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Sandbox;

namespace Paypro.Functions.Tests.Emulator;

/// <summary>
/// One running app for the contract suite: a storage account of its own (Azurite), the sandbox, and the host emulator
/// running the real worker process on a port fixed before it starts, so Paypro's callbacks reach the worker. The
/// timers fire every few seconds; the poller's first check comes late, so only the notify callback settles a payout.
/// </summary>
public sealed class WorkerContractApp : IAsyncLifetime
{
    public AzuriteFixture Storage { get; private set; } = null!;
    public SandboxHost Sandbox { get; private set; } = null!;
    internal HostingTestApp App { get; private set; } = null!;
    public Dictionary<string, string?> Settings { get; private set; } = null!;
    public QueueServiceClient Queues { get; private set; } = null!;
    internal EventsReader Events { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Storage = await AzuriteFixture.StartAsync();
        Sandbox = await SandboxHost.StartAsync(options => options.ControlEnabled = true);
        Settings = EmulatorApp.Settings(Storage, Sandbox).OnFixedPort();
        Settings["Submit:HttpEnabled"] = "true";
        Settings["PollSchedule"] = "*/2 * * * * *";
        Settings["AuditPurgeSchedule"] = "*/3 * * * * *";
        Settings["ReconcileSchedule"] = "*/3 * * * * *";
        Settings["Poll:FirstCheckAfter"] = "00:10:00";
        Settings["Poll:MaxBackoff"] = "00:10:00";
        // Above this a payout is held for approval (the suite's other payouts are far below it).
        Settings["Controls:ApprovalThreshold"] = "1000";
        App = await EmulatorApp.StartAsync(Settings);
        Queues = Storage.CreateQueueServiceClient();
        Events = new EventsReader(Queues.GetQueueClient(Settings["EventsQueueName"]));
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }
        if (Sandbox is not null)
        {
            await Sandbox.DisposeAsync();
        }
        if (Storage is not null)
        {
            await Storage.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class WorkerContractCollection : ICollectionFixture<WorkerContractApp>
{
    public const string Name = "Worker contract";
}

/// <summary>
/// The contract suite: every function of the app, run through the host emulator against the real worker process
/// (its Program.cs, DI container, middleware and input converters). For each, its trigger fires, its bindings arrive as
/// the worker's converters read them (a <c>QueueMessage</c> with its id and dequeue count, a <c>TimerInfo</c>, route
/// values, the request body) and its result comes back (HTTP status and body, a settled transaction and its event).
/// Queue failure, retry and poison, a worker that cannot start and a worker that dies are in <see cref="WorkerEmulatorTests"/>.
/// </summary>
[Collection(WorkerContractCollection.Name)]
public sealed class WorkerContractTests(WorkerContractApp fixture)
{
    private static readonly TimeSpan Settles = TimeSpan.FromSeconds(60);
    private HostingTestApp App => fixture.App;

    [Fact]
    public async Task SubmitPayout_and_SubmitPayin_get_the_QueueMessage_and_PayproNotify_settles_both_with_one_event_each()
    {
        var payout = TestTradeNos.New("CP");
        var payin = TestTradeNos.New("CI");
        var payoutSent = await Queue("PayoutsQueueName").SendMessageAsync(PayproAppHarness.PayoutMessage(payout));
        var payinSent = await Queue("PayinsQueueName").SendMessageAsync(PayproAppHarness.PayoutMessage(payin));

        var payoutView = await WaitForStateAsync("payouts", payout, "succeeded");
        var payinView = await WaitForStateAsync("payins", payin, "succeeded");

        // The message id and delivery count the app recorded came from the QueueMessage the worker's converter built
        // out of the model binding data and trigger metadata.
        Assert.Contains(
            Details(payoutView),
            detail => detail.Contains($"message {payoutSent.Value.MessageId} (delivery 1)", StringComparison.Ordinal));
        Assert.Contains(
            Details(payinView),
            detail => detail.Contains($"message {payinSent.Value.MessageId} (delivery 1)", StringComparison.Ordinal));
        Assert.Equal("payin", payinView.GetProperty("kind").GetString());
        // Only Paypro's callback could settle them (the poller's first check is minutes away): the notify reached the
        // worker through the emulator and was answered 200.
        Assert.Contains(fixture.Sandbox.CallbackAttempts, attempt => attempt.TradeNo == payout && attempt.StatusCode == 200);
        Assert.Contains(fixture.Sandbox.CallbackAttempts, attempt => attempt.TradeNo == payin && attempt.StatusCode == 200);
        Assert.Single(fixture.Sandbox.Ledger.Entries, entry => entry.TradeNo == payout);
        await Eventually.UntilAsync(async () => (await fixture.Events.ReadAsync(payin)).Count == 1, "the payin's event", Settles);
        Assert.Equal("payout.succeeded", Assert.Single(await fixture.Events.ReadAsync(payout)).GetProperty("type").GetString());
        Assert.Equal("payin.succeeded", Assert.Single(await fixture.Events.ReadAsync(payin)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task PayproNotify_refuses_a_forged_or_malformed_callback_and_a_caller_without_the_key()
    {
        var forged = NotifyBodies.Signed(NotifyBodies.Fields(TestTradeNos.New("CF")), "not-the-app-secret");

        using var forgedAnswer = await PostAsync("/api/paypro/notify", forged, PayproAppHarness.FunctionKey);
        using var malformed = await PostAsync("/api/paypro/notify", "{\"tradeNo\":", PayproAppHarness.FunctionKey);
        using var withoutKey = await PostAsync("/api/paypro/notify", forged, key: null);

        Assert.Equal(HttpStatusCode.Unauthorized, forgedAnswer.StatusCode);
        Assert.Contains("Callback refused", await forgedAnswer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, withoutKey.StatusCode);
    }

    [Fact]
    public async Task EnqueuePayout_and_EnqueuePayin_accept_a_request_and_refuse_a_bad_one_with_the_field_named()
    {
        var payout = TestTradeNos.New("CH");
        var payin = TestTradeNos.New("CJ");

        using var acceptedPayout = await PostAsync("/api/payouts", PayproAppHarness.PayoutMessage(payout), PayproAppHarness.FunctionKey);
        using var acceptedPayin = await PostAsync("/api/payins", PayproAppHarness.PayoutMessage(payin), PayproAppHarness.FunctionKey);
        using var badMobile = await PostAsync(
            "/api/payouts",
            $$"""{"tradeNo":"{{TestTradeNos.New("CB")}}","amount":120,"mobile":"0612"}""",
            PayproAppHarness.FunctionKey);
        using var withoutKey = await PostAsync("/api/payins", PayproAppHarness.PayoutMessage(TestTradeNos.New("CK")), key: null);

        Assert.Equal(HttpStatusCode.Accepted, acceptedPayout.StatusCode);
        Assert.Equal($"/api/payouts/{payout}", acceptedPayout.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Accepted, acceptedPayin.StatusCode);
        Assert.Equal($"/api/payins/{payin}", acceptedPayin.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.BadRequest, badMobile.StatusCode);
        Assert.Contains("mobile", await badMobile.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, withoutKey.StatusCode);
        await WaitForStateAsync("payouts", payout, "succeeded");
        await WaitForStateAsync("payins", payin, "succeeded");
    }

    [Fact]
    public async Task GetPayout_GetPayin_CheckPayout_and_CheckPayin_read_and_check_by_the_route_value()
    {
        var payout = TestTradeNos.New("CG");
        // A payin Paypro keeps processing: a check of it asks Paypro (a check of a final record does not).
        var payin = TestTradeNos.New("CN");
        using (var submitted = await PostAsync("/api/payouts", PayproAppHarness.PayoutMessage(payout), PayproAppHarness.FunctionKey))
        using (var submittedPayin = await PostAsync(
            "/api/payins",
            PayproAppHarness.PayoutMessage(payin, mobile: TestMobiles.LongProcessing),
            PayproAppHarness.FunctionKey))
        {
            Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, submittedPayin.StatusCode);
        }

        var view = await WaitForStateAsync("payouts", payout, "succeeded");
        await Eventually.UntilAsync(
            () => fixture.Sandbox.Ledger.Requests.Any(request => request.TradeNo == payin && request.IsCreate),
            "the payin reached Paypro",
            Settles);
        await WaitForStateAsync("payins", payin, "submitted");
        var never = TestTradeNos.New("CU");
        using var payinAsPayout = await App.GetWithKeyAsync($"/api/payouts/{payin}");
        using var unknown = await App.GetWithKeyAsync($"/api/payins/{never}");
        using var malformed = await App.GetWithKeyAsync("/api/payouts/bad%20tradeNo!");
        using var checkPayout = await App.Http.PostAsync($"/api/payouts/{payout}/check?code={PayproAppHarness.FunctionKey}", null);
        using var checkPayin = await App.Http.PostAsync($"/api/payins/{payin}/check?code={PayproAppHarness.FunctionKey}", null);

        Assert.Equal(payout, view.GetProperty("tradeNo").GetString());
        Assert.Equal("254******600", view.GetProperty("mobile").GetString());
        Assert.NotEmpty(Details(view));
        Assert.Equal(HttpStatusCode.NotFound, payinAsPayout.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"No payin has tradeNo {never}.", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, checkPayout.StatusCode);
        Assert.Equal("succeeded", (await checkPayout.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.OK, checkPayin.StatusCode);
        var checkedPayin = await checkPayin.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(payin, checkedPayin.GetProperty("tradeNo").GetString());
        Assert.Equal("payin", checkedPayin.GetProperty("kind").GetString());
        // The check's status query reached Paypro from the worker.
        Assert.Contains(fixture.Sandbox.Ledger.Requests, request => request.TradeNo == payin && !request.IsCreate);
    }

    [Fact]
    public async Task MpesaLookup_and_GetBalance_ask_Paypro_and_answer_what_it_said()
    {
        using var lookup = await App.GetWithKeyAsync("/api/mpesa/SHL2A6WAQU");
        using var balance = await App.GetWithKeyAsync("/api/balance");

        Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);
        Assert.Equal("application/problem+json", lookup.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, balance.StatusCode);
        Assert.Equal(
            (decimal)fixture.Sandbox.Ledger.Balance.AvailableAmount,
            (await balance.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("availableAmount").GetDecimal());
    }

    [Fact]
    public async Task ListTransactions_reads_its_query_string_and_ListPendingTransactions_answers_its_list()
    {
        var from = DateTimeOffset.UtcNow.AddDays(-1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var to = DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

        using var page = await App.GetWithKeyAsync($"/api/transactions?from={from}&to={to}&kind=payin");
        using var refused = await App.GetWithKeyAsync("/api/transactions?kind=sideways");
        using var pending = await App.GetWithKeyAsync("/api/transactions/pending");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var items = (await page.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").EnumerateArray().ToList();
        Assert.All(items, item => Assert.Equal("payin", item.GetProperty("kind").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, pending.StatusCode);
        Assert.Equal(JsonValueKind.Array, (await pending.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").ValueKind);
    }

    [Fact]
    public async Task ListPoisonMessages_and_RedrivePoisonMessages_reach_the_queue_named_in_the_route_at_their_levels()
    {
        using var listing = await App.GetWithKeyAsync("/api/poison/payins");
        using var unknown = await App.GetWithKeyAsync("/api/poison/events");
        using var functionKeyRedrive = await PostAsync("/api/poison/payouts/redrive", """{"all":true}""", PayproAppHarness.FunctionKey);
        using var redrive = await PostAsync("/api/poison/payouts/redrive", """{"all":true}""", PayproAppHarness.MasterKey);

        Assert.Equal(HttpStatusCode.OK, listing.StatusCode);
        Assert.Equal(
            $"{fixture.Settings["PayinsQueueName"]}-poison",
            (await listing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("queue").GetString());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        // Redrive is at level Admin: the function key is not enough.
        Assert.Equal(HttpStatusCode.Unauthorized, functionKeyRedrive.StatusCode);
        Assert.Equal(HttpStatusCode.OK, redrive.StatusCode);
        Assert.Equal(
            $"{fixture.Settings["PayoutsQueueName"]}-poison",
            (await redrive.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("queue").GetString());
    }

    [Fact]
    public async Task ListHeldPayouts_ReleasePayout_and_CancelPayout_take_the_master_key_and_a_release_is_sent_once()
    {
        var released = TestTradeNos.New("CR");
        var cancelled = TestTradeNos.New("CC");
        await Queue("PayoutsQueueName").SendMessageAsync(PayproAppHarness.PayoutMessage(released, amount: 5_000));
        await Queue("PayoutsQueueName").SendMessageAsync(PayproAppHarness.PayoutMessage(cancelled, amount: 6_000));
        await WaitForStateAsync("payouts", released, "held");
        await WaitForStateAsync("payouts", cancelled, "held");

        using var functionKeyList = await App.GetWithKeyAsync("/api/transactions/held");
        using var list = await App.Http.GetAsync($"/api/transactions/held?code={PayproAppHarness.MasterKey}");
        using var functionKeyRelease = await PostAsync(
            $"/api/payouts/{released}/release",
            """{"reason":"approved"}""",
            PayproAppHarness.FunctionKey);
        using var release = await PostAsync($"/api/payouts/{released}/release", """{"reason":"approved"}""", PayproAppHarness.MasterKey);
        using var cancel = await PostAsync($"/api/payouts/{cancelled}/cancel", """{"reason":"not ours"}""", PayproAppHarness.MasterKey);
        using var noReason = await PostAsync($"/api/payouts/{cancelled}/cancel", "{}", PayproAppHarness.MasterKey);

        Assert.Equal(HttpStatusCode.Unauthorized, functionKeyList.StatusCode);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var listed = (await list.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("held").EnumerateArray()
            .Select(h => h.GetProperty("transaction").GetProperty("tradeNo").GetString()).ToList();
        Assert.Contains(released, listed);
        Assert.Contains(cancelled, listed);
        Assert.Equal(HttpStatusCode.Unauthorized, functionKeyRelease.StatusCode);
        Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        Assert.Equal("released", (await release.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("outcome").GetString());
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal(
            "rejected",
            (await cancel.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("transaction").GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        await WaitForStateAsync("payouts", released, "succeeded");
        Assert.Single(fixture.Sandbox.Ledger.CreateAttempts(released));
        Assert.Empty(fixture.Sandbox.Ledger.CreateAttempts(cancelled));
        await Eventually.UntilAsync(
            async () => (await fixture.Events.ReadAsync(cancelled)).Count == 2,
            "the cancelled payout's two events",
            Settles);
        Assert.Equal(
            ["payout.held", "payout.rejected"],
            (await fixture.Events.ReadAsync(cancelled)).Select(e => e.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task PollPendingTransactions_and_PurgeAuditTrail_fire_on_their_schedules_with_their_TimerInfo()
    {
        // The poller logs whether its run was past due, which it reads from the TimerInfo the worker deserialised; the
        // retention pass logs what it deleted.
        await Eventually.UntilAsync(() => App.Logs.GetSnapshot().Any(entry => entry.Message.StartsWith("Poll: ", StringComparison.Ordinal)
            && entry.Message.Contains("(past due: False)", StringComparison.Ordinal)), "the poll timer fired in the worker", Settles);
        await Eventually.UntilAsync(
            () => App.Logs.GetSnapshot().Any(entry => entry.Message.StartsWith("Audit retention: ", StringComparison.Ordinal)),
            "the retention timer fired in the worker",
            Settles);
    }

    [Fact]
    public async Task ReconcileTransactions_fires_on_its_schedule_and_GetReconciliation_reports_the_day_as_JSON_or_CSV()
    {
        var date = KenyaTime.DayOf(DateTimeOffset.UtcNow).AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        // The day just ended is one of the days reconciliation looks at by default (Reconcile:Days).
        await Eventually.UntilAsync(
            () => App.Logs.GetSnapshot()
                .Any(entry => entry.Message.StartsWith($"Reconciliation of Kenya day {date}", StringComparison.Ordinal)),
            "the reconciliation timer fired in the worker",
            Settles);
        using var report = await App.GetWithKeyAsync($"/api/reconciliation/{date}");
        using var csvRequest = new HttpRequestMessage(HttpMethod.Get, $"/api/reconciliation/{date}?code={PayproAppHarness.FunctionKey}");
        csvRequest.Headers.Accept.ParseAdd("text/csv");
        using var csv = await App.Http.SendAsync(csvRequest);
        using var malformed = await App.GetWithKeyAsync("/api/reconciliation/2026-13-45");

        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        Assert.Equal(date, (await report.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("date").GetString());
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType?.MediaType);
    }

    private QueueClient Queue(string setting) => fixture.Queues.GetQueueClient(fixture.Settings[setting]);

    private Task<HttpResponseMessage> PostAsync(string path, string body, string? key) =>
        App.Http.PostAsync(key is null ? path : $"{path}?code={key}", new StringContent(body, Encoding.UTF8, "application/json"));

    private Task<JsonElement> WaitForStateAsync(string kind, string tradeNo, string state) =>
        App.WaitForStateAsync(kind, tradeNo, state, Settles);

    private static IEnumerable<string> Details(JsonElement view) =>
        view.GetProperty("history")
            .EnumerateArray()
            .Select(entry => entry.TryGetProperty("detail", out var detail) ? detail.GetString() ?? "" : "");
}
