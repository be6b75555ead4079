using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Paypro.Functions.Functions;
using Paypro.Functions.Storage;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;
using Paypro.Sandbox;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>
/// The daily reconciliation on Azurite and the sandbox: every final result of a Kenya day is asked about again, each
/// disagreement is recorded once and announced, and a final state never changes.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class ReconciliationTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task
        A_day_of_200_payouts_with_10_changed_at_Paypro_reports_exactly_those_10_each_announced_once_and_no_final_state_changes()
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        KeepClearOfTheDayBoundary(app);
        var tradeNos = Enumerable.Range(0, 200).Select(i => TestTradeNos.New("R")).ToArray();
        foreach (var tradeNo in tradeNos)
        {
            await app.EnqueuePayoutAsync(tradeNo, amount: 120);
        }
        foreach (var tradeNo in tradeNos)
        {
            await app.WaitForStateAsync(tradeNo, TransactionState.Succeeded);
        }
        await app.WaitForEventsAsync(tradeNos[^1], 1);
        var day = KenyaTime.DayOf(app.Clock.GetUtcNow());

        // After their callbacks, Paypro changes ten: four reversed, three executed with another amount, three forgotten.
        var reversed = tradeNos[10..14];
        var amounts = tradeNos[50..53];
        var forgotten = tradeNos[100..103];
        foreach (var tradeNo in reversed)
        {
            Assert.NotNull(sandbox.SetTransactionStatus(SandboxTransactionKind.Payout, tradeNo, "00029", notify: false));
        }
        foreach (var tradeNo in amounts)
        {
            Assert.NotNull(sandbox.SetTransactionAmount(SandboxTransactionKind.Payout, tradeNo, 150));
        }
        foreach (var tradeNo in forgotten)
        {
            Assert.NotNull(sandbox.ForgetTransaction(SandboxTransactionKind.Payout, tradeNo));
        }
        string[] changed = [.. reversed, .. amounts, .. forgotten];
        var before = await EventCountsAsync(app);

        // The night after: the day just ended is reconciled.
        SkipToNight(app, day.AddDays(1));
        await app.ReconcileAsync();
        var report = await ReportAsync(app, day);

        Assert.True(report.GetProperty("complete").GetBoolean());
        AssertCounts(report, agreed: 190, disagreed: 10);
        Assert.Equal(changed.Order(StringComparer.Ordinal), DisagreedTradeNos(report));
        var disagreements = report.GetProperty("disagreements").EnumerateArray().ToDictionary(d => d.GetProperty("tradeNo").GetString()!);
        Assert.All(reversed, t => Assert.Equal(["state"], Kinds(disagreements[t])));
        Assert.All(amounts, t => Assert.Equal(["amount"], Kinds(disagreements[t])));
        Assert.All(forgotten, t => Assert.Equal(["unknownToPaypro"], Kinds(disagreements[t])));
        Assert.Equal("00029", disagreements[reversed[0]].GetProperty("payproStatus").GetString());
        await AssertOneAnomalyEventEachAsync(app, changed, before);

        // A week on, the same day is checked again for late reversals: the same ten, nothing announced twice.
        app.Clock.Skip(TimeSpan.FromDays(7));
        await app.ReconcileAsync();
        report = await ReportAsync(app, day);
        Assert.Equal(8, report.GetProperty("pass").GetInt32());
        Assert.True(report.GetProperty("complete").GetBoolean());
        AssertCounts(report, agreed: 190, disagreed: 10);
        Assert.Equal(changed.Order(StringComparer.Ordinal), DisagreedTradeNos(report));
        await AssertOneAnomalyEventEachAsync(app, changed, before);

        foreach (var tradeNo in tradeNos)
        {
            var record = (await app.GetAsync(tradeNo))!;
            Assert.Equal(TransactionState.Succeeded, record.State);
            Assert.Equal(120, record.Amount);
            Assert.Equal(changed.Contains(tradeNo) ? 1 : 0, record.Anomalies.Count);
        }
        Assert.Contains(app.Logs.GetSnapshot(), r => r.Id.Name == LogMarkers.Anomaly);
        Assert.DoesNotContain(app.Logs.GetSnapshot(), r => r.Id.Name is LogMarkers.PaidNotSent or LogMarkers.ReconciliationIncomplete);

        // The CSV has every transaction with its outcome.
        var lines = await CsvLinesAsync(app, day);
        Assert.StartsWith("tradeNo,kind,state,amount,outcome,disagreements", lines[0], StringComparison.Ordinal);
        Assert.Equal(201, lines.Length);
        Assert.Contains(
            lines,
            line => line.StartsWith($"{amounts[0]},payout,succeeded,120,disagreed,amount,error,0000,150", StringComparison.Ordinal));
    }

    [Fact]
    public async Task While_every_query_is_answered_8000_nothing_disagrees_and_the_day_is_not_checkable_with_the_reason()
    {
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(365));
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        KeepClearOfTheDayBoundary(app);
        var tradeNos = Enumerable.Range(0, 12).Select(_ => TestTradeNos.New("R8")).ToArray();
        foreach (var tradeNo in tradeNos)
        {
            await app.EnqueuePayoutAsync(tradeNo);
        }
        foreach (var tradeNo in tradeNos)
        {
            await app.WaitForStateAsync(tradeNo, TransactionState.Succeeded);
        }
        var day = KenyaTime.DayOf(app.Clock.GetUtcNow());
        // The channel is known good, then Paypro answers every payout query "8000", for what it has too.
        await app.ProveQueryChannelAsync();
        var refuse = sandbox.Faults.Add(new SandboxFault
        {
            Endpoint = TransactionKinds.QueryPath(TransactionKind.Payout),
            Kind = FaultKind.OrderError,
            Count = null,
        });
        var before = await EventCountsAsync(app);

        SkipToNight(app, day.AddDays(1));
        await app.ReconcileAsync();

        var report = await ReportAsync(app, day);
        Assert.False(report.GetProperty("complete").GetBoolean());
        AssertCounts(report, agreed: 0, disagreed: 0, notChecked: 12, pending: 1);
        Assert.Empty(report.GetProperty("disagreements").EnumerateArray());
        Assert.Contains("not known to work", report.GetProperty("why").GetString(), StringComparison.Ordinal);
        var alert = Assert.Single(app.Logs.GetSnapshot(), r => r.Id.Name == LogMarkers.ReconciliationIncomplete);
        Assert.Contains("12 transaction(s) could not be checked", alert.Message, StringComparison.Ordinal);
        Assert.Contains("status queries are not known to work", alert.Message, StringComparison.Ordinal);
        Assert.Equal(before, await EventCountsAsync(app));
        foreach (var tradeNo in tradeNos)
        {
            Assert.Empty((await app.GetAsync(tradeNo))!.Anomalies);
        }

        // Lifted only the next night, when the day is no longer one Reconcile:Days names: it is carried on, and completes.
        Assert.True(sandbox.Faults.Remove(refuse));
        app.Clock.Skip(TimeSpan.FromDays(1));
        await app.ReconcileAsync();
        report = await ReportAsync(app, day);
        Assert.True(report.GetProperty("complete").GetBoolean());
        AssertCounts(report, agreed: 12, disagreed: 0, pending: 1);
        Assert.Equal(1, report.GetProperty("pass").GetInt32());
        Assert.Equal(before, await EventCountsAsync(app));
    }

    [Fact]
    public async Task A_day_larger_than_one_runs_budget_completes_over_several_runs_and_no_transaction_is_queried_twice()
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox, new Dictionary<string, string?>
        {
            ["Reconcile:TimeBudget"] = "00:00:00.400",
            ["Reconcile:MaxConcurrency"] = "2",
        });
        KeepClearOfTheDayBoundary(app);
        var tradeNos = Enumerable.Range(0, 24).Select(_ => TestTradeNos.New("RB")).ToArray();
        foreach (var tradeNo in tradeNos)
        {
            await app.EnqueuePayoutAsync(tradeNo);
        }
        foreach (var tradeNo in tradeNos)
        {
            await app.WaitForStateAsync(tradeNo, TransactionState.Succeeded);
        }
        var day = KenyaTime.DayOf(app.Clock.GetUtcNow());
        // Each query takes 150 ms at Paypro: a run of 400 ms with two in flight gets through a few.
        sandbox.Faults.Add(new SandboxFault
        {
            Endpoint = TransactionKinds.QueryPath(TransactionKind.Payout),
            Kind = FaultKind.Latency,
            Delay = TimeSpan.FromMilliseconds(150),
            Count = null,
        });
        var requestsBefore = sandbox.Ledger.Requests.Count;
        SkipToNight(app, day.AddDays(1));

        var runs = 0;
        JsonElement report;
        do
        {
            await app.ReconcileAsync();
            runs++;
            report = await ReportAsync(app, day);
        }
        while (!report.GetProperty("complete").GetBoolean() && runs < 40);

        Assert.True(report.GetProperty("complete").GetBoolean(), $"not complete after {runs} runs");
        Assert.True(runs >= 3, $"the day took only {runs} run(s); the budget should have stopped the first ones");
        AssertCounts(report, agreed: 24, disagreed: 0);
        var queries = sandbox.Ledger.Requests
            .Skip(requestsBefore)
            .Where(r => r.Endpoint == TransactionKinds.QueryPath(TransactionKind.Payout))
            .ToList();
        Assert.Equal(tradeNos.Order(StringComparer.Ordinal), queries.Select(q => q.TradeNo).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_kenya_day_ends_at_21_00_utc()
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(
            azurite,
            sandbox,
            new Dictionary<string, string?> { ["Reconcile:Days"] = "1,2" });
        var day = KenyaTime.DayOf(app.Clock.GetUtcNow());
        if (KenyaTime.StartOf(day.AddDays(1)) - app.Clock.GetUtcNow() < TimeSpan.FromMinutes(1))
        {
            day = day.AddDays(1);
        }
        var boundary = KenyaTime.StartOf(day.AddDays(1));
        Assert.Equal(21, boundary.Hour);
        Assert.Equal(TimeSpan.Zero, boundary.Offset);

        // One payout shortly before 21:00 UTC, one just after: two Kenya days.
        app.Clock.Skip(boundary - TimeSpan.FromSeconds(20) - app.Clock.GetUtcNow());
        var evening = TestTradeNos.New("RE");
        await app.EnqueuePayoutAsync(evening);
        var first = await app.WaitForStateAsync(evening, TransactionState.Succeeded);
        app.Clock.Skip(boundary + TimeSpan.FromSeconds(1) - app.Clock.GetUtcNow());
        var night = TestTradeNos.New("RN");
        await app.EnqueuePayoutAsync(night);
        var second = await app.WaitForStateAsync(night, TransactionState.Succeeded);
        Assert.True(
            first.CreatedAt < boundary && second.CreatedAt >= boundary,
            $"{first.CreatedAt:O} and {second.CreatedAt:O} straddle {boundary:O}");

        SkipToNight(app, day.AddDays(2));
        await app.ReconcileAsync();

        var before = await ReportAsync(app, day);
        var after = await ReportAsync(app, day.AddDays(1));
        Assert.Equal(boundary.AddDays(-1), before.GetProperty("from").GetDateTimeOffset());
        Assert.Equal(boundary, before.GetProperty("to").GetDateTimeOffset());
        AssertCounts(before, agreed: 1, disagreed: 0);
        AssertCounts(after, agreed: 1, disagreed: 0);
        Assert.Equal(2, before.GetProperty("pass").GetInt32());
        Assert.Equal(1, after.GetProperty("pass").GetInt32());
        Assert.Equal([evening], (await CsvLinesAsync(app, day)).Skip(1).Select(line => line.Split(',')[0]));
        Assert.Equal([night], (await CsvLinesAsync(app, day.AddDays(1))).Skip(1).Select(line => line.Split(',')[0]));
    }

    [Theory]
    [InlineData("yesterday", "date must be a Kenya calendar day written yyyy-MM-dd")]
    [InlineData("2026-13-01", "date must be a Kenya calendar day written yyyy-MM-dd")]
    [InlineData("2026-02-30", "date must be a Kenya calendar day written yyyy-MM-dd")]
    [InlineData("2026-11-24T00:00:00Z", "date must be a Kenya calendar day written yyyy-MM-dd")]
    [InlineData("today", "is not over yet in Kenya")]
    [InlineData("next-year", "is not over yet in Kenya")]
    public async Task A_bad_date_gets_400_with_the_reason_and_changes_nothing(string date, string reason)
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        var today = KenyaTime.DayOf(app.Clock.GetUtcNow());
        date = date switch
        {
            "today" => Date(today),
            "next-year" => Date(today.AddYears(1)),
            _ => date,
        };
        var requests = sandbox.Ledger.Requests.Count;

        using var response = await app.GetApiAsync($"reconciliation/{Uri.EscapeDataString(date)}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(requests, sandbox.Ledger.Requests.Count);
        var days = new ReconciliationStore(app.Tables, Options.Create(new StorageOptions { TablePrefix = app.TablePrefix }));
        Assert.Null(await days.GetDayAsync(today, CancellationToken.None));

        // A day that is over but was never reconciled is not found, and reading it changes nothing either.
        using var notYet = await app.GetApiAsync($"reconciliation/{Date(today.AddDays(-3))}");
        Assert.Equal(HttpStatusCode.NotFound, notYet.StatusCode);
        Assert.Contains("Reconcile:Days", await notYet.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(requests, sandbox.Ledger.Requests.Count);
    }

    /// <summary>Starts the test more than a few minutes away from 21:00 UTC, so that its transactions share one Kenya day.</summary>
    private static void KeepClearOfTheDayBoundary(PayproAppHarness app)
    {
        var now = app.Clock.GetUtcNow();
        var next = KenyaTime.StartOf(KenyaTime.DayOf(now).AddDays(1));
        if (next - now < TimeSpan.FromMinutes(10))
        {
            app.Clock.Skip(next - now + TimeSpan.FromMinutes(1));
        }
    }

    /// <summary>Moves the clock to 01:00 Kenya time on <paramref name="night"/>, inside the reconciliation's night window.</summary>
    private static void SkipToNight(PayproAppHarness app, DateOnly night) =>
        app.Clock.Skip(KenyaTime.StartOf(night) + TimeSpan.FromHours(1) - app.Clock.GetUtcNow());

    private static string Date(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static async Task<JsonElement> ReportAsync(PayproAppHarness app, DateOnly day)
    {
        using var response = await app.GetApiAsync($"reconciliation/{Date(day)}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"the report of {Date(day)} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static void AssertCounts(JsonElement report, int agreed, int disagreed, int notChecked = 0, int pending = 0)
    {
        var counts = report.GetProperty("counts");
        Assert.Equal(
            (agreed, disagreed, notChecked, pending),
            (
                counts.GetProperty("agreed").GetInt32(),
                counts.GetProperty("disagreed").GetInt32(),
                counts.GetProperty("notChecked").GetInt32(),
                counts.GetProperty("pending").GetInt32()));
    }

    private static List<string> DisagreedTradeNos(JsonElement report) =>
        [.. report.GetProperty("disagreements")
            .EnumerateArray()
            .Select(d => d.GetProperty("tradeNo").GetString()!)
            .Order(StringComparer.Ordinal)];

    private static List<string> Kinds(JsonElement disagreement) =>
        [.. disagreement.GetProperty("disagreements").EnumerateArray().Select(k => k.GetString()!)];

    /// <summary>Every event so far, by type.</summary>
    private static async Task<Dictionary<string, int>> EventCountsAsync(PayproAppHarness app) =>
        (await app.EventsAsync()).GroupBy(e => e.GetProperty("type").GetString()!).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>
    /// Exactly one <c>payout.anomaly</c> event for each of <paramref name="tradeNos"/>, none for any other, and no other event since
    /// <paramref name="before"/>.
    /// </summary>
    private static async Task AssertOneAnomalyEventEachAsync(
        PayproAppHarness app,
        IReadOnlyCollection<string> tradeNos,
        Dictionary<string, int> before)
    {
        var events = await app.EventsAsync();
        var anomalies = events.Where(e => e.GetProperty("type").GetString() == "payout.anomaly").ToList();
        Assert.Equal(
            tradeNos.Order(StringComparer.Ordinal),
            anomalies.Select(e => e.GetProperty("tradeNo").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(anomalies, e => Assert.StartsWith("anomaly-", e.GetProperty("anomaly").GetString(), StringComparison.Ordinal));
        Assert.All(anomalies, e => Assert.Contains("reconciliation: ", e.GetProperty("anomaly").GetString(), StringComparison.Ordinal));
        var others = events
            .Where(e => e.GetProperty("type").GetString() != "payout.anomaly")
            .GroupBy(e => e.GetProperty("type").GetString()!)
            .ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(before.Where(kv => kv.Key != "payout.anomaly").OrderBy(kv => kv.Key), others.OrderBy(kv => kv.Key));
    }

    /// <summary>The day report as CSV, line by line.</summary>
    private static async Task<string[]> CsvLinesAsync(PayproAppHarness app, DateOnly day)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/reconciliation/{Date(day)}?code={PayproAppHarness.FunctionKey}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var csv = await app.Http.SendAsync(request);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        return (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}

/// <summary>Runs the reconciliation as its timer would.</summary>
internal static class ReconciliationHarness
{
    public static async Task ReconcileAsync(this PayproAppHarness app)
    {
        using var scope = app.App.Services.CreateScope();
        var reconcile = ActivatorUtilities.CreateInstance<ReconcileTransactions>(scope.ServiceProvider);
        await reconcile.Run(new TimerInfo(), CancellationToken.None);
    }
}
