using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Paypro.Functions.Configuration;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;
using Paypro.Sandbox;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>
/// The money controls on payouts, end to end against Azurite and the sandbox: the day limits under racing messages on two
/// instances, the hold for large payouts, release (exactly once, repeated and raced) and cancel through the operator API
/// at level Admin, a held payout's quiet (restart, redelivery, redrive, poll, check now) and its expiry, and the Kenya
/// day's boundary on a fake clock.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class MoneyControlsTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly TimeSpan Settles = TimeSpan.FromSeconds(90);
    private readonly List<IAsyncDisposable> _running = [];
    private SandboxHost _sandbox = null!;

    public Task InitializeAsync()
    {
        _sandbox = PayproAppHarness.StartSandbox();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var running in Enumerable.Reverse(_running))
        {
            await running.DisposeAsync();
        }
        await _sandbox.DisposeAsync();
    }

    public static TheoryData<string, long, bool> Limits() => new()
    {
        // setting, limit, whether the 64 payouts go to one mobile number
        { "DailyAmountLimit", 1_000, false },
        { "DailyCountLimit", 5, false },
        { "MobileDailyAmountLimit", 1_000, true },
        { "MobileDailyCountLimit", 3, true },
    };

    [Theory]
    [MemberData(nameof(Limits))]
    public async Task Each_limit_holds_under_64_concurrent_messages_on_two_instances_and_the_counts_match_what_was_cleared(
        string setting,
        long limit,
        bool oneMobile)
    {
        var settings = Controls((setting, limit.ToString(CultureInfo.InvariantCulture)));
        // Two instances on one queue, each taking 32 messages at once: 64 payouts race for the limit.
        settings["AzureFunctionsJobHost:extensions:queues:batchSize"] = "32";
        var first = await StartAsync(settings);
        var second = await StartAsync(settings, id: first.Id);
        var tradeNos = Enumerable.Range(0, 64).Select(i => TestTradeNos.New("LIM")).ToList();
        var amounts = tradeNos.Select((_, i) => 100L + (i % 5) * 20).ToList();

        await Task.WhenAll(tradeNos.Select((tradeNo, i) =>
            first.EnqueuePayoutAsync(tradeNo, amounts[i], oneMobile ? TestMobiles.Success : Mobile(i))));
        var records = await Task.WhenAll(tradeNos.Select(tradeNo => first.WaitForStateAsync(
            tradeNo,
            state => state is TransactionState.Held or TransactionState.Succeeded,
            "held or succeeded",
            Settles)));

        var cleared = records.Where(r => r.State == TransactionState.Succeeded).ToList();
        var held = records.Where(r => r.State == TransactionState.Held).ToList();
        var measured = setting.Contains("Amount", StringComparison.Ordinal) ? cleared.Sum(r => r.Amount) : cleared.Count;
        // Never past the limit; and racing payouts do not starve each other: most of it is used.
        Assert.InRange(measured, limit / 2 + 1, limit);
        Assert.NotEmpty(held);
        Assert.All(held, r => Assert.Contains($"Controls:{setting}", r.Reason, StringComparison.Ordinal));
        // Paypro was sent exactly the cleared payouts, each once, and nothing held.
        Assert.Equal(
            cleared.Select(r => r.TradeNo).Order(),
            _sandbox.Ledger.Entries.Where(e => tradeNos.Contains(e.TradeNo)).Select(e => e.TradeNo).Order());
        Assert.All(held, r => Assert.Empty(_sandbox.Ledger.CreateAttempts(r.TradeNo)));
        // The counts in storage are exactly what the cleared payouts say they took: no race lost an addition or kept a give-back.
        var counts = await CountsAsync(first, oneMobile ? "mobile-" : "day-");
        Assert.Equal(cleared.Sum(r => r.Amount), counts.Amount);
        Assert.Equal(cleared.Count, counts.Count);
        // Each held payout was announced once, as payout.held, with the control's reason.
        var events = await first.EventsAsync();
        Assert.All(held, r => Assert.Single(
            events,
            e => e.GetProperty("id").GetString() == $"{r.TradeNo}:held" && e.GetProperty("type").GetString() == "payout.held"));
    }

    [Fact]
    public async Task A_payout_over_the_threshold_is_held_and_a_release_sends_it_exactly_once_when_repeated_and_raced_by_two_instances()
    {
        var settings = Controls(("ApprovalThreshold", "500"));
        var first = await StartAsync(settings);
        var second = await StartAsync(settings, id: first.Id);
        var large = TestTradeNos.New("THR");
        var small = TestTradeNos.New("THS");

        await first.EnqueuePayoutAsync(large, amount: 800);
        await first.EnqueuePayoutAsync(small, amount: 500);
        var held = await first.WaitForStateAsync(large, TransactionState.Held, Settles);
        await first.WaitForStateAsync(small, TransactionState.Succeeded, Settles);

        Assert.StartsWith("Held for approval: 800 KES is over Controls:ApprovalThreshold (500 KES)", held.Reason, StringComparison.Ordinal);
        Assert.Null(held.SubmittedAt);
        Assert.Empty(_sandbox.Ledger.CreateAttempts(large));
        // Either instance may have taken the message.
        Assert.Contains(first.Logs.GetSnapshot().Concat(second.Logs.GetSnapshot()),
            r => r.Id.Name == LogMarkers.PayoutHeld && r.Message.Contains(large, StringComparison.Ordinal));
        var listing = await ListHeldAsync(first);
        Assert.Equal(1, listing.GetProperty("count").GetInt32());
        Assert.Equal(800, listing.GetProperty("amount").GetInt64());
        Assert.Equal(large, listing.GetProperty("held")[0].GetProperty("transaction").GetProperty("tradeNo").GetString());
        Assert.Equal(
            PayproValidation.MaskMobile(TestMobiles.Success),
            listing.GetProperty("held")[0].GetProperty("transaction").GetProperty("mobile").GetString());

        // Six releases at once, three through each instance: one sends it, the others find it released.
        var answers = await Task.WhenAll(Enumerable.Range(0, 6)
            .Select(i => PostAdminAsync(
                i % 2 == 0 ? first : second,
                $"payouts/{large}/release",
                """{"reason":"approved by finance, ticket 42"}""")));

        Assert.All(answers, answer => Assert.Equal(HttpStatusCode.OK, answer.Status));
        Assert.Equal(1, answers.Count(a => a.Body.GetProperty("outcome").GetString() == "released"));
        Assert.Equal(5, answers.Count(a => a.Body.GetProperty("outcome").GetString() == "already-released"));
        var settled = await first.WaitForStateAsync(large, TransactionState.Succeeded, Settles);
        Assert.Single(_sandbox.Ledger.CreateAttempts(large));
        Assert.Single(_sandbox.Ledger.Entries, e => e.TradeNo == large);
        Assert.NotNull(settled.ReleasedAt);
        Assert.Equal(settled.ReleasedAt, settled.SubmittedAt);
        // The release is in the audit trail with the caller's address and the reason; the repeats too, as refused.
        var audit = await first.AuditAsync(large);
        var released = Assert.Single(audit, row => row.GetString("Category") == "operator" && row.GetString("Verdict") == "released");
        Assert.Equal("approved by finance, ticket 42", released.GetString("Detail"));
        Assert.Equal("127.0.0.1", released.GetString("SourceIp"));
        Assert.Equal(5, audit.Count(row => row.GetString("Category") == "operator" && row.GetString("Verdict") is "release-refused"));
        // Released once more, later: still nothing sent again.
        var again = await PostAdminAsync(first, $"payouts/{large}/release", """{"reason":"retry"}""");
        Assert.Equal("already-released", again.Body.GetProperty("outcome").GetString());
        Assert.Single(_sandbox.Ledger.CreateAttempts(large));
        Assert.Equal(0, (await ListHeldAsync(first)).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task A_cancel_rejects_the_held_payout_with_the_operators_reason_and_sends_nothing()
    {
        var app = await StartAsync(Controls(("ApprovalThreshold", "500")));
        var tradeNo = TestTradeNos.New("CAN");
        await app.EnqueuePayoutAsync(tradeNo, amount: 900);
        await app.WaitForStateAsync(tradeNo, TransactionState.Held, Settles);

        var cancel = await PostAdminAsync(app, $"payouts/{tradeNo}/cancel", """{"reason":"duplicate commission run"}""");
        var repeated = await PostAdminAsync(app, $"payouts/{tradeNo}/cancel", """{"reason":"duplicate commission run"}""");
        var releaseAfter = await PostAdminAsync(app, $"payouts/{tradeNo}/release", """{"reason":"changed my mind"}""");

        Assert.Equal(HttpStatusCode.OK, cancel.Status);
        Assert.Equal("cancelled", cancel.Body.GetProperty("outcome").GetString());
        Assert.Equal("already-cancelled", repeated.Body.GetProperty("outcome").GetString());
        Assert.Equal(HttpStatusCode.Conflict, releaseAfter.Status);
        Assert.Contains("only a held payout", releaseAfter.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var record = (await app.GetAsync(tradeNo))!;
        Assert.Equal(TransactionState.Rejected, record.State);
        Assert.True(record.NotSent);
        Assert.Equal("Cancelled by an operator (127.0.0.1): duplicate commission run", record.Reason);
        Assert.DoesNotContain(_sandbox.Ledger.Requests, r => r.TradeNo == tradeNo);
        var events = await app.WaitForEventsAsync(tradeNo, 2);
        Assert.Equal(["payout.held", "payout.rejected"], events.Select(e => e.GetProperty("type").GetString()));
        Assert.Contains(
            await app.AuditAsync(tradeNo),
            row => row.GetString("Verdict") == "cancelled" && row.GetString("SourceIp") == "127.0.0.1");
    }

    [Fact]
    public async Task A_held_payout_survives_a_restart_a_redelivery_a_redrive_the_poll_and_check_now_unsent_then_expires()
    {
        var settings = Controls(("ApprovalThreshold", "500"), ("HoldExpiry", "02:00:00"));
        settings["Poll:StuckAfter"] = "00:30:00";
        var app = await StartAsync(settings);
        var tradeNo = TestTradeNos.New("QUI");
        var message = PayproAppHarness.PayoutMessage(tradeNo, amount: 700);
        await app.EnqueueAsync(app.PayoutsQueue, message);
        await app.WaitForStateAsync(tradeNo, TransactionState.Held, Settles);
        await app.WaitForEventsAsync(tradeNo, 1);

        // A restart: a new instance on the same storage.
        await app.DisposeAsync();
        _running.Remove(app);
        app = await StartAsync(settings, id: app.Id);
        // The same message again, and once more through the poison queue and a redrive.
        await app.EnqueueAsync(app.PayoutsQueue, message);
        await app.EnqueueAsync(QueueNames.PoisonOf(app.PayoutsQueue), message);
        var redrive = await PostAdminAsync(app, "poison/payouts/redrive", """{"all":true}""");
        Assert.Equal(HttpStatusCode.OK, redrive.Status);
        await Eventually.UntilAsync(async () => await app.QueueLengthAsync(app.PayoutsQueue) == 0, "both deliveries handled", Settles);
        // The poll, well past the first check and the stuck threshold, and the operator's check now.
        app.Clock.Skip(TimeSpan.FromMinutes(90));
        await app.PollAsync();
        using var check = await app.PostApiAsync($"payouts/{tradeNo}/check");

        Assert.Equal(HttpStatusCode.OK, check.StatusCode);
        var record = (await app.GetAsync(tradeNo))!;
        Assert.Equal(TransactionState.Held, record.State);
        // Held three times Poll:StuckAfter, and never flagged: it waits for an operator, not for Paypro.
        Assert.Null(record.StuckAt);
        // The poll's gauges count it as held, not as pending.
        Assert.Equal(1, ControlsSnapshot.HeldCount);
        Assert.Equal(700, ControlsSnapshot.HeldAmount);
        Assert.Equal(0, PendingSnapshot.Pending);
        Assert.DoesNotContain(_sandbox.Ledger.Requests, r => r.TradeNo == tradeNo);
        // Announced once, as held, before the restart: nothing since.
        Assert.Empty(await app.EventsForAsync(tradeNo));
        Assert.Contains(
            app.Logs.GetSnapshot(),
            r => r.Id.Name == nameof(FunctionsLog.DuplicateDelivery) && r.GetStructuredStateValue("TradeNo") == tradeNo);

        // Past Controls:HoldExpiry, the next poll cancels it.
        app.Clock.Skip(TimeSpan.FromMinutes(31));
        await app.PollAsync();

        record = (await app.GetAsync(tradeNo))!;
        Assert.Equal(TransactionState.Rejected, record.State);
        Assert.Equal("Cancelled: held longer than Controls:HoldExpiry (02:00:00) without a release; nothing was sent.", record.Reason);
        Assert.DoesNotContain(_sandbox.Ledger.Requests, r => r.TradeNo == tradeNo);
        Assert.Equal("payout.rejected", Assert.Single(await app.WaitForEventsAsync(tradeNo, 1)).GetProperty("type").GetString());
        Assert.Equal(0, (await ListHeldAsync(app)).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task The_Kenya_day_starts_at_21_00_UTC()
    {
        var app = await StartAsync(Controls(("DailyCountLimit", "1")));
        var now = app.Clock.GetUtcNow();
        var beforeMidnight = new DateTimeOffset(now.UtcDateTime.Date.AddHours(20).AddMinutes(59).AddSeconds(40), TimeSpan.Zero);
        if (beforeMidnight < now)
        {
            beforeMidnight = beforeMidnight.AddDays(1);
        }
        app.Clock.Skip(beforeMidnight - now);
        var first = TestTradeNos.New("KD1");
        var second = TestTradeNos.New("KD2");
        var nextDay = TestTradeNos.New("KD3");

        await app.EnqueuePayoutAsync(first);
        await app.WaitForStateAsync(first, s => s != TransactionState.Submitting, "cleared", Settles);
        await app.EnqueuePayoutAsync(second);
        var heldSecond = await app.WaitForStateAsync(second, TransactionState.Held, Settles);
        var kenyaDate = beforeMidnight.ToOffset(TimeSpan.FromHours(3)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Assert.Contains($"Controls:DailyCountLimit (1 payouts a Kenya day) on {kenyaDate}", heldSecond.Reason, StringComparison.Ordinal);
        Assert.True(app.Clock.GetUtcNow() < beforeMidnight.AddSeconds(20), "the first two payouts were counted before 21:00 UTC");

        app.Clock.Skip(beforeMidnight.AddSeconds(21) - app.Clock.GetUtcNow());
        await app.EnqueuePayoutAsync(nextDay);

        var cleared = await app.WaitForStateAsync(nextDay, s => s != TransactionState.Submitting, "cleared on the next Kenya day", Settles);
        Assert.NotEqual(TransactionState.Held, cleared.State);
        Assert.Equal(PayoutControls.KenyaDay(beforeMidnight.AddSeconds(21)), cleared.Counted!.Day);
        Assert.NotEqual(cleared.Counted.Day, (await app.GetAsync(first))!.Counted!.Day);
    }

    [Fact]
    public async Task A_failed_payout_gives_its_count_back_and_a_release_counts_past_the_limit()
    {
        var app = await StartAsync(Controls(("DailyCountLimit", "1")));
        var fails = TestTradeNos.New("GB1");
        var next = TestTradeNos.New("GB2");
        var over = TestTradeNos.New("GB3");

        await app.EnqueuePayoutAsync(fails, mobile: TestMobiles.Rejected);
        await app.WaitForStateAsync(fails, TransactionState.Failed, Settles);
        await Eventually.UntilAsync(
            async () => (await CountsAsync(app, "day-")).Count == 0,
            "the failed payout's count given back",
            Settles);
        await app.EnqueuePayoutAsync(next);
        await app.WaitForStateAsync(next, TransactionState.Succeeded, Settles);
        await app.EnqueuePayoutAsync(over);
        await app.WaitForStateAsync(over, TransactionState.Held, Settles);

        var release = await PostAdminAsync(app, $"payouts/{over}/release", """{"reason":"salary run, limit raised tomorrow"}""");

        Assert.Equal("released", release.Body.GetProperty("outcome").GetString());
        await app.WaitForStateAsync(over, TransactionState.Succeeded, Settles);
        Assert.Equal(2, (await CountsAsync(app, "day-")).Count);
    }

    [Fact]
    public async Task A_release_while_payouts_are_paused_is_refused_and_changes_nothing()
    {
        var settings = Controls(("ApprovalThreshold", "500"));
        var running = await StartAsync(settings);
        var tradeNo = TestTradeNos.New("PAU");
        await running.EnqueuePayoutAsync(tradeNo, amount: 900);
        await running.WaitForStateAsync(tradeNo, TransactionState.Held, Settles);
        settings["AzureWebJobs.SubmitPayout.Disabled"] = "true";
        var paused = await StartAsync(settings, id: running.Id);

        var release = await PostAdminAsync(paused, $"payouts/{tradeNo}/release", """{"reason":"approved"}""");

        Assert.Equal(HttpStatusCode.Conflict, release.Status);
        Assert.Equal("Payouts are paused", release.Body.GetProperty("title").GetString());
        Assert.Contains("AzureWebJobs.SubmitPayout.Disabled", release.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(TransactionState.Held, (await paused.GetAsync(tradeNo))!.State);
        Assert.DoesNotContain(_sandbox.Ledger.Requests, r => r.TradeNo == tradeNo);
        Assert.Contains(await paused.AuditAsync(tradeNo), row => row.GetString("Verdict") == "release-refused");
    }

    [Fact]
    public async Task The_operator_hold_endpoints_take_the_master_key_refuse_the_function_key_and_refuse_bad_requests_changing_nothing()
    {
        var app = await StartAsync(Controls(("ApprovalThreshold", "500")));
        var tradeNo = TestTradeNos.New("KEY");
        await app.EnqueuePayoutAsync(tradeNo, amount: 900);
        await app.WaitForStateAsync(tradeNo, TransactionState.Held, Settles);
        var reason = """{"reason":"approved"}""";

        using var listWithFunctionKey = await app.Http.GetAsync($"/api/transactions/held?code={PayproAppHarness.FunctionKey}");
        using var releaseWithFunctionKey = await app.Http.PostAsync(
            $"/api/payouts/{tradeNo}/release?code={PayproAppHarness.FunctionKey}",
            Json(reason));
        using var cancelWithFunctionKey = await app.Http.PostAsync(
            $"/api/payouts/{tradeNo}/cancel?code={PayproAppHarness.FunctionKey}",
            Json(reason));
        using var withoutKey = await app.Http.PostAsync($"/api/payouts/{tradeNo}/release", Json(reason));
        var malformed = await PostAdminAsync(app, $"payouts/{tradeNo}/release", """{"reason":""");
        var wrongType = await PostAdminAsync(app, $"payouts/{tradeNo}/release", """{"reason":42}""");
        var noReason = await PostAdminAsync(app, $"payouts/{tradeNo}/release", "{}");
        var blank = await PostAdminAsync(app, $"payouts/{tradeNo}/cancel", """{"reason":"   "}""");
        var tooLong = await PostAdminAsync(
            app,
            $"payouts/{tradeNo}/cancel",
            JsonSerializer.Serialize(new { reason = new string('x', 501) }));
        var oversized = await PostAdminAsync(
            app,
            $"payouts/{tradeNo}/cancel",
            JsonSerializer.Serialize(new { reason = "x", padding = new string(' ', 5000) }));
        var unknownField = await PostAdminAsync(app, $"payouts/{tradeNo}/cancel", """{"reason":"ok","amount":1}""");
        var unknown = await PostAdminAsync(app, $"payouts/{TestTradeNos.New("NON")}/release", reason);
        var invalid = await PostAdminAsync(app, "payouts/not%20a%20tradeNo/release", reason);

        Assert.Equal(HttpStatusCode.Unauthorized, listWithFunctionKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, releaseWithFunctionKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, cancelWithFunctionKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, withoutKey.StatusCode);
        Assert.All(
            new[] { malformed, wrongType, noReason, blank, tooLong, unknownField, invalid },
            a => Assert.Equal(HttpStatusCode.BadRequest, a.Status));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oversized.Status);
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Contains("reason", noReason.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(TransactionState.Held, (await app.GetAsync(tradeNo))!.State);
        Assert.DoesNotContain(_sandbox.Ledger.Requests, r => r.TradeNo == tradeNo);
        Assert.Equal(1, (await ListHeldAsync(app)).GetProperty("count").GetInt32());
    }

    private static Dictionary<string, string?> Controls(params (string Setting, string Value)[] controls) =>
        controls.ToDictionary(c => "Controls:" + c.Setting, c => (string?)c.Value);

    private static string Mobile(int i) => "2547123457" + (20 + i).ToString("D2", CultureInfo.InvariantCulture);

    private async Task<PayproAppHarness> StartAsync(Dictionary<string, string?> settings, string? id = null)
    {
        var app = await PayproAppHarness.StartAsync(azurite, _sandbox, new Dictionary<string, string?>(settings), id: id);
        _running.Add(app);
        return app;
    }

    /// <summary>What the counts in the Controls table add up to, over the partitions starting with <paramref name="prefix"/>.</summary>
    private static async Task<Tally> CountsAsync(PayproAppHarness app, string prefix)
    {
        var table = app.Tables.GetTableClient(app.TablePrefix + "Controls");
        var sum = default(Tally);
        await foreach (var entity in table.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey ge {prefix} and PartitionKey lt {prefix + "~"}")))
        {
            // A day's pool says what it allotted, not what was cleared.
            if (entity.RowKey != "pool")
            {
                sum += new Tally(entity.GetInt64("Amount") ?? 0, entity.GetInt64("Count") ?? 0);
            }
        }
        return sum;
    }

    private static async Task<JsonElement> ListHeldAsync(PayproAppHarness app)
    {
        using var answer = await app.Http.GetAsync($"/api/transactions/held?code={PayproAppHarness.MasterKey}");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAdminAsync(PayproAppHarness app, string path, string body)
    {
        using var answer = await app.Http.PostAsync($"/api/{path}?code={PayproAppHarness.MasterKey}", Json(body));
        var text = await answer.Content.ReadAsStringAsync();
        return (answer.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
