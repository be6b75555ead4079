using System.Diagnostics;
using System.Net;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;
using Paypro.Sandbox;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>Callbacks that cannot be trusted as they are, and callbacks that arrive while storage is down.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class NotifyResilienceTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task An_unsigned_callback_changes_nothing_until_a_query_confirms_it()
    {
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.SignCallbacks = false);
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        var tradeNo = TestTradeNos.New("U");

        await app.EnqueuePayoutAsync(tradeNo);
        await Eventually.UntilAsync(() => sandbox.Callbacks.Any(c => c.TradeNo == tradeNo && c.State == CallbackState.Delivered),
            "the sandbox delivered its unsigned callback");

        var record = await app.GetAsync(tradeNo);
        Assert.Equal(TransactionState.Submitted, record!.State);
        var history = await app.UncountedStore.GetHistoryAsync(tradeNo, CancellationToken.None);
        Assert.Contains(history, h => h.Verdict == "unsigned-hint");
        Assert.Empty(await app.EventsForAsync(tradeNo));

        // The hint made the transaction due now: one poll confirms it with Paypro.
        await app.PollAsync();

        Assert.Equal(TransactionState.Succeeded, (await app.GetAsync(tradeNo))!.State);
        Assert.Single(await app.WaitForEventsAsync(tradeNo, 1));
    }

    [Fact]
    public async Task With_the_reject_policy_an_unsigned_callback_gets_401()
    {
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(7));
        await using var app = await PayproAppHarness.StartAsync(
            azurite,
            sandbox,
            new Dictionary<string, string?> { ["Notify:UnsignedPolicy"] = "Reject" });
        var tradeNo = TestTradeNos.New("R");
        await app.EnqueuePayoutAsync(tradeNo, mobile: TestMobiles.LongProcessing);
        await app.WaitForStateAsync(tradeNo, TransactionState.Submitted);

        var response = await app.PostNotifyAsync(NotifyBodies.Json(NotifyBodies.Fields(tradeNo, "0000"), sign: null));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(TransactionState.Submitted, (await app.GetAsync(tradeNo))!.State);
    }

    [Fact]
    public async Task A_caller_outside_the_allowed_ranges_gets_403()
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(
            azurite,
            sandbox,
            new Dictionary<string, string?> { ["Notify:AllowedIpRanges"] = "203.0.113.0/24" });
        var tradeNo = TestTradeNos.New("IP");

        var response = await app.PostSignedNotifyAsync(NotifyBodies.Fields(tradeNo, "0000"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task The_allow_list_reads_the_caller_the_worker_reports_direct_or_forwarded()
    {
        // Under the host the worker takes the caller from X-Forwarded-For (its rightmost entry, the one the
        // front end added); the development host does the same. The direct caller here is 127.0.0.1.
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(1));
        await using var app = await PayproAppHarness.StartAsync(
            azurite,
            sandbox,
            new Dictionary<string, string?> { ["Notify:AllowedIpRanges"] = "203.0.113.0/24, 127.0.0.1/32" });
        var tradeNo = TestTradeNos.New("FWD");
        await app.EnqueuePayoutAsync(tradeNo, mobile: TestMobiles.LongProcessing);
        await app.WaitForStateAsync(tradeNo, TransactionState.Submitted);
        var body = SignedBody(sandbox, tradeNo, "0015");

        using var direct = await PostAsync(app, body, forwardedFor: null);
        using var forwardedAllowed = await PostAsync(app, body, forwardedFor: "203.0.113.7");
        using var forwardedOutside = await PostAsync(app, body, forwardedFor: "198.51.100.9");
        // A caller cannot smuggle an allowed address in on the left: only the rightmost entry counts.
        using var spoofed = await PostAsync(app, body, forwardedFor: "203.0.113.7, 198.51.100.9");

        Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
        Assert.Equal(HttpStatusCode.OK, forwardedAllowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forwardedOutside.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, spoofed.StatusCode);
        Assert.Equal(TransactionState.Processing, (await app.GetAsync(tradeNo))!.State);
        var refused = (await app.AuditAsync(IOperationsStore.Refused))
            .Where(row => row.GetString("Verdict") == "rejected-ip-not-allowed")
            .ToList();
        Assert.Equal(["198.51.100.9", "198.51.100.9"], refused.Select(row => row.GetString("SourceIp")));
    }

    private static string SignedBody(SandboxHost sandbox, string tradeNo, string status) =>
        NotifyBodies.Signed(NotifyBodies.Fields(tradeNo, status), sandbox.Options.AppSecret);

    private static Task<HttpResponseMessage> PostAsync(PayproAppHarness app, string body, string? forwardedFor)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, app.NotifyUrl.PathAndQuery)
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }
        return app.Http.SendAsync(request);
    }

    [Fact]
    public async Task With_table_storage_down_the_callback_gets_5xx_and_is_applied_once_when_Paypro_retries()
    {
        // A private Azurite: this test stops its Table service.
        await using var privateAzurite = await AzuriteFixture.StartAsync();
        await using var sandbox = PayproAppHarness.StartSandbox(options =>
        {
            options.LongProcessingDelay = TimeSpan.FromDays(7);
            // Paypro's retries after 2 s, 5 s, 10 s... at 1/1000: the sandbox keeps retrying while storage is down.
            options.TimeScale = 0.001;
        });
        await using var app = await PayproAppHarness.StartAsync(privateAzurite, sandbox);
        var tradeNo = TestTradeNos.New("S");
        await app.EnqueuePayoutAsync(tradeNo, mobile: TestMobiles.LongProcessing);
        await app.WaitForStateAsync(tradeNo, TransactionState.Submitted);

        await privateAzurite.StopTableServiceAsync();
        var whileDown = await app.PostSignedNotifyAsync(NotifyBodies.Fields(tradeNo, "0000"));
        Assert.True((int)whileDown.StatusCode >= 500, $"expected 5xx while storage is down, got {(int)whileDown.StatusCode}");

        // Paypro's own retry: the sandbox decides the result and delivers it, retrying until it gets OK.
        var notification = sandbox.SetTransactionStatus(SandboxTransactionKind.Payout, tradeNo, "0000", "SUCCESS");
        Assert.NotNull(notification);
        await Eventually.UntilAsync(
            () => sandbox.CallbackAttempts.Count(a => a.TradeNo == tradeNo) >= 2,
            "Paypro retried while storage was down");
        await privateAzurite.StartTableServiceAsync();

        // Paypro's later retries come hours apart (seconds here, on the shared clock): the clock moves to each next one
        // instead of the test waiting for it, so a loaded machine that is slow to serve storage again cannot run out the wait.
        // One move a second at most, so each retry has the time to be answered before the next is due.
        var sinceSkip = Stopwatch.StartNew();
        await Eventually.UntilAsync(async () =>
        {
            if (sinceSkip.Elapsed >= TimeSpan.FromSeconds(1))
            {
                app.Clock.Skip(TimeSpan.FromSeconds(4));
                sinceSkip.Restart();
            }
            return (await app.GetAsync(tradeNo))?.State == TransactionState.Succeeded;
        }, $"{tradeNo} is succeeded by a retry of Paypro's callback", TimeSpan.FromSeconds(60));
        await Eventually.UntilAsync(
            () => sandbox.Callbacks.Any(c => c.TradeNo == tradeNo && c.State == CallbackState.Delivered),
            "a retry was answered OK");
        Assert.Single(await app.WaitForEventsAsync(tradeNo, 1));
        Assert.Contains(app.Logs.GetSnapshot(), r => r.Id.Name == nameof(FunctionsLog.CallbackNotProcessed));
    }
}
