using System.Net;
using System.Text;
using Azure.Data.Tables;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;
using Paypro.Sandbox;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>The notify callback against Azurite and the sandbox, over real HTTP.</summary>
public sealed class NotifyTests(AzuriteFixture azurite) : PayproAppTest(azurite)
{
    // Transactions wait in "processing" (mobile ending 13; 7 days at the harness's 1/1000 time scale) while the test delivers
    // results itself.
    protected override void ConfigureSandbox(SandboxOptions options) => options.LongProcessingDelay = TimeSpan.FromDays(7);

    private Task<string> SubmittedPayoutAsync(long amount = 120) => App.SubmittedPayoutAsync("N", amount);

    private async Task<int> RevisionRowsAsync(string tradeNo)
    {
        var table = App.Tables.GetTableClient(App.TablePrefix + "Transactions");
        var count = 0;
        await foreach (var _ in table.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {tradeNo} and RowKey ge {"rev|"} and RowKey lt {"rev}"}")))
        {
            count++;
        }
        return count;
    }

    private Task<List<TableEntity>> AuditAsync(string partition) => App.AuditAsync(partition);

    [Fact]
    public async Task A_signed_result_delivered_eight_times_out_of_order_isApplied_exactly_once()
    {
        var tradeNo = await SubmittedPayoutAsync();
        var revisionsBefore = await RevisionRowsAsync(tradeNo);
        // Paypro's eight deliveries, a stale "processing" among them, all at once and out of order.
        var deliveries = new[] { "0000", "0015", "0000", "0000", "0015", "0000", "0000", "0000" }
            .Select(status => App.PostSignedNotifyAsync(NotifyBodies.Fields(tradeNo, status), rawAmount: "120.0000"))
            .ToArray();
        var responses = await Task.WhenAll(deliveries);

        foreach (var response in responses)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("OK", await response.Content.ReadAsStringAsync());
        }
        var record = await App.GetAsync(tradeNo);
        Assert.Equal(TransactionState.Succeeded, record!.State);
        Assert.Equal("120.0000", record.PaidAmount);
        var events = await App.WaitForEventsAsync(tradeNo, 1);
        await Eventually.HoldsForAsync(
            async () => (await App.EventsForAsync(tradeNo)).Count == 1,
            "exactly one event",
            TimeSpan.FromMilliseconds(500));
        Assert.Equal("payout.succeeded", Assert.Single(events).GetProperty("type").GetString());
        // Our eight deliveries carry the test's platFormTradeNo (the sandbox may add its own callbacks).
        Assert.Equal(8, (await AuditAsync(tradeNo)).Count(row => row.GetString("Category") == "callback"
            && (row.GetString("Body") ?? "").Contains("5286e98841194687a95d25b5f3be346d")));
        // At most one revision for "processing" and exactly one for "succeeded".
        Assert.InRange(await RevisionRowsAsync(tradeNo) - revisionsBefore, 1, 2);
        Assert.Single(Sandbox.Ledger.CreateAttempts(tradeNo));
    }

    [Fact]
    public async Task A_forged_callback_gets_401_and_changes_nothing()
    {
        var tradeNo = await SubmittedPayoutAsync();
        var before = await App.GetAsync(tradeNo);

        var response = await App.PostSignedNotifyAsync(NotifyBodies.Fields(tradeNo, "0000"), secret: "not-the-app-secret");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var after = await App.GetAsync(tradeNo);
        Assert.Equal(before!.State, after!.State);
        Assert.Equal(before.Revision, after.Revision);
        // Recorded aside, with the tradeNo it claims: never in the partition of the transaction it names.
        var audit = (await AuditAsync(IOperationsStore.Refused)).Where(row => row.GetString("ClaimedTradeNo") == tradeNo).ToList();
        Assert.Contains(audit, row => row.GetString("Verdict") == "rejected-forged");
        Assert.All(audit, row => Assert.DoesNotContain("\"sign\"", row.GetString("Body") ?? ""));
        Assert.DoesNotContain(
            await AuditAsync(tradeNo),
            row => row.GetString("Verdict")!.StartsWith("rejected-", StringComparison.Ordinal));
        Assert.Contains(
            App.Logs.GetSnapshot(),
            r => r.Id.Name == LogMarkers.CallbackRejected && r.GetStructuredStateValue("Verdict") == "forged");
        Assert.Empty(await App.EventsForAsync(tradeNo));
    }

    [Fact]
    public async Task A_tampered_amount_under_a_valid_sign_is_refused()
    {
        var tradeNo = await SubmittedPayoutAsync();
        var fields = NotifyBodies.Fields(tradeNo, "0000");
        // Signed over the amount 120, sent with 1200.
        var body = NotifyBodies.Json(fields, NotifyBodies.Sign(fields, Sandbox.Options.AppSecret), rawAmount: "1200");

        var response = await App.PostNotifyAsync(body);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(TransactionState.Submitted, (await App.GetAsync(tradeNo))!.State);
    }

    [Theory]
    [InlineData("{\"tradeNo\":\"X1\",", "not valid JSON")]
    [InlineData("[1,2,3]", "JSON object")]
    [InlineData("{\"tradeNo\":\"X1\",\"tradeNo\":\"X2\"}", "more than once")]
    [InlineData("{\"tradeNo\":{\"nested\":1}}", "nested")]
    public async Task A_malformed_body_gets_400_with_the_reason(string body, string expected)
    {
        var response = await App.PostNotifyAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync());
        Assert.Contains(await AuditAsync(IOperationsStore.Refused), row => row.GetString("Verdict") == "rejected-malformed");
    }

    [Fact]
    public async Task A_signed_body_with_a_field_of_the_wrong_shape_gets_400_and_changes_nothing()
    {
        var tradeNo = await SubmittedPayoutAsync();
        var fields = NotifyBodies.Fields(tradeNo, "0000")
            .Select(f => f.Key == "successTime" ? new KeyValuePair<string, string?>("successTime", "yesterday") : f)
            .ToList();

        var response = await App.PostSignedNotifyAsync(fields);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("successTime", await response.Content.ReadAsStringAsync());
        Assert.Equal(TransactionState.Submitted, (await App.GetAsync(tradeNo))!.State);
    }

    [Fact]
    public async Task An_oversized_body_gets_413_and_changes_nothing()
    {
        var tradeNo = await SubmittedPayoutAsync();
        var fields = NotifyBodies.Fields(tradeNo, "0000");
        fields.Add(new("padding", new string('x', 20_000)));

        var response = await App.PostSignedNotifyAsync(fields);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(TransactionState.Submitted, (await App.GetAsync(tradeNo))!.State);
    }

    [Fact]
    public async Task A_result_for_an_unknown_tradeNo_is_recorded_for_investigation_and_answered_OK()
    {
        var tradeNo = TestTradeNos.New("UNKNOWN");

        var response = await App.PostSignedNotifyAsync(NotifyBodies.Fields(tradeNo, "0000"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(await App.GetAsync(tradeNo));
        var audit = Assert.Single(await AuditAsync(IOperationsStore.Unmatched), row => row.GetString("ClaimedTradeNo") == tradeNo);
        Assert.Equal("unknown-tradeNo", audit.GetString("Verdict"));
        Assert.Contains("\"status\":\"0000\"", audit.GetString("Body"));
    }

    [Fact]
    public async Task A_contradicting_result_after_success_is_kept_as_an_anomaly_and_announced()
    {
        var tradeNo = await SubmittedPayoutAsync();
        Assert.Equal(HttpStatusCode.OK, (await App.PostSignedNotifyAsync(NotifyBodies.Fields(tradeNo, "0000"))).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await App.PostSignedNotifyAsync(NotifyBodies.Fields(tradeNo, "00029"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await App.PostSignedNotifyAsync(NotifyBodies.Fields(tradeNo, "00029"))).StatusCode);

        var record = await App.GetAsync(tradeNo);
        Assert.Equal(TransactionState.Succeeded, record!.State);
        Assert.Single(record.Anomalies);
        var events = await App.WaitForEventsAsync(tradeNo, 2);
        Assert.Equal(
            new[] { "payout.anomaly", "payout.succeeded" },
            events.Select(e => e.GetProperty("type").GetString()!).Order().ToArray());
        Assert.Contains(App.Logs.GetSnapshot(), r => r.Id.Name == LogMarkers.Anomaly);
    }

    [Fact]
    public async Task Without_the_function_key_the_callback_never_reaches_the_handler()
    {
        var tradeNo = await SubmittedPayoutAsync();
        var fields = NotifyBodies.Fields(tradeNo, "0000");
        var body = NotifyBodies.Signed(fields, Sandbox.Options.AppSecret);

        var response = await App.Http.PostAsync("/api/paypro/notify", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(TransactionState.Submitted, (await App.GetAsync(tradeNo))!.State);
    }
}
