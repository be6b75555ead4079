using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary><c>POST /api/payouts</c> and <c>/api/payins</c>: the queue's contract over HTTP, on, against Azurite and the sandbox.</summary>
public sealed class HttpSubmitTests(AzuriteFixture azurite) : PayproAppTest(azurite)
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Submit:HttpEnabled"] = "true",
        ["Submit:MaxBodyBytes"] = "1024",
    };

    [Fact]
    public async Task A_valid_payout_is_accepted_with_its_location_and_performed_once()
    {
        var tradeNo = TestTradeNos.New("HS");

        using var response = await PostAsync("payouts", PayproAppHarness.PayoutMessage(tradeNo));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"/api/payouts/{tradeNo}", response.Headers.Location?.OriginalString);
        await App.WaitForStateAsync(tradeNo, TransactionState.Succeeded);
        Assert.Single(Sandbox.Ledger.Requests, r => r.TradeNo == tradeNo);
    }

    [Fact]
    public async Task The_same_tradeNo_with_the_same_body_is_accepted_again_and_nothing_more_happens()
    {
        var tradeNo = TestTradeNos.New("HSD");
        var body = PayproAppHarness.PayoutMessage(tradeNo);
        using var first = await PostAsync("payouts", body);
        await App.WaitForStateAsync(tradeNo, TransactionState.Succeeded);

        // Same fields, other spacing and order: the same request.
        using var again = await PostAsync("payouts", " " + body.Replace(",", ", ", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Equal(0, await App.QueueLengthAsync(App.PayoutsQueue));
        Assert.Single(Sandbox.Ledger.Requests, r => r.TradeNo == tradeNo);
    }

    [Fact]
    public async Task The_same_tradeNo_with_another_body_is_a_conflict_whether_it_came_over_HTTP_or_the_queue()
    {
        var overHttp = TestTradeNos.New("HSC");
        var overQueue = TestTradeNos.New("HSQ");
        using var first = await PostAsync("payouts", PayproAppHarness.PayoutMessage(overHttp, amount: 120));
        await App.EnqueuePayoutAsync(overQueue, amount: 120);
        await App.WaitForStateAsync(overQueue, TransactionState.Succeeded);

        using var otherAmount = await PostAsync("payouts", PayproAppHarness.PayoutMessage(overHttp, amount: 999));
        using var otherMobile = await PostAsync("payouts", PayproAppHarness.PayoutMessage(overQueue, mobile: "254712345699"));
        using var asPayin = await PostAsync("payins", PayproAppHarness.PayoutMessage(overHttp, amount: 120));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, otherAmount.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, otherMobile.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, asPayin.StatusCode);
        Assert.Contains("a tradeNo is used once", await otherAmount.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await App.WaitForStateAsync(overHttp, TransactionState.Succeeded);
        Assert.Equal(120, (await App.GetAsync(overHttp))!.Amount);
        Assert.Single(Sandbox.Ledger.Requests, r => r.TradeNo == overHttp);
    }

    [Fact]
    public async Task An_accepted_request_that_another_body_beat_to_the_record_gets_409_on_retry_and_is_announced_as_an_anomaly()
    {
        var tradeNo = TestTradeNos.New("HSR");
        var overHttp = PayproAppHarness.PayoutMessage(tradeNo, amount: 150);
        var overQueue = PayproAppHarness.PayoutMessage(tradeNo, amount: 120);
        // The HTTP request was answered 202 (its intake row is written and its message enqueued), but a message with
        // another body for the same tradeNo reached the queue function first.
        await App.EnqueuePayoutAsync(tradeNo, amount: 120);
        await App.WaitForStateAsync(tradeNo, TransactionState.Succeeded);
        var submitter = App.App.Services.GetRequiredService<TransactionSubmitter>();
        Assert.True(TransactionRequest.TryParse(overHttp, 1, long.MaxValue, out var request, out _, out _));
        Assert.True(await App.UncountedStore.TryAddIntakeAsync(
            tradeNo,
            TransactionKind.Payout,
            submitter.IdentityOf(TransactionKind.Payout, request!).Digest,
            CancellationToken.None));
        await App.EnqueueAsync(App.PayoutsQueue, overHttp);

        // Its message is never sent: it is kept as an anomaly of the recorded payout, and announced once.
        var anomaly = await App.WaitForEventsAsync(tradeNo, 2);
        var announced = Assert.Single(anomaly, e => e.GetProperty("type").GetString() == "payout.anomaly");
        Assert.Contains(
            "differs from the recorded payout in amount",
            announced.GetProperty("anomaly").GetString(),
            StringComparison.Ordinal);
        Assert.Contains((await App.GetAsync(tradeNo))!.Anomalies, a => a.StartsWith("anomaly-conflict-", StringComparison.Ordinal));

        // Its retries get 409, not 202; a retry of the recorded body keeps its 202.
        using var retry = await PostAsync("payouts", overHttp);
        using var recorded = await PostAsync("payouts", overQueue);
        Assert.Equal(HttpStatusCode.Conflict, retry.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, recorded.StatusCode);

        // The same conflicting message delivered again is the same anomaly, not a second one.
        await App.EnqueueAsync(App.PayoutsQueue, overHttp);
        await Eventually.UntilAsync(async () => await App.QueueLengthAsync(App.PayoutsQueue) == 0, "the repeated message was handled");
        Assert.Equal(2, (await App.ExactlyEventsAsync(tradeNo, 2)).Count);
        Assert.Single(Sandbox.Ledger.Requests, r => r.TradeNo == tradeNo && r.IsCreate);
        Assert.Empty(await App.PeekAsync(App.PayoutsQueue + "-poison"));
    }

    [Fact]
    public async Task A_payin_that_reuses_a_payouts_tradeNo_is_never_sent_and_is_announced_as_an_anomaly_of_the_payout()
    {
        var tradeNo = TestTradeNos.New("HSP");
        await App.EnqueuePayoutAsync(tradeNo);
        await App.WaitForStateAsync(tradeNo, TransactionState.Succeeded);

        await App.EnqueuePayinAsync(tradeNo);

        var events = await App.WaitForEventsAsync(tradeNo, 2);
        var announced = Assert.Single(events, e => e.GetProperty("type").GetString() == "payout.anomaly");
        Assert.Contains(
            "a payin request with this tradeNo differs from the recorded payout in kind",
            announced.GetProperty("anomaly").GetString(),
            StringComparison.Ordinal);
        Assert.DoesNotContain(Sandbox.Ledger.Requests, r => r.TradeNo == tradeNo && r.Endpoint == "/api/payin");
        Assert.Equal(TransactionKind.Payout, (await App.GetAsync(tradeNo))!.Kind);
    }

    [Fact]
    public async Task A_payin_is_accepted_under_payins()
    {
        var tradeNo = TestTradeNos.New("HSP");

        using var response = await PostAsync("payins", PayproAppHarness.PayoutMessage(tradeNo));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"/api/payins/{tradeNo}", response.Headers.Location?.OriginalString);
        Assert.Equal(TransactionKind.Payin, (await App.WaitForStateAsync(tradeNo, TransactionState.Succeeded)).Kind);
    }

    public static TheoryData<string, string> InvalidBodies => new()
    {
        // The queue's own error texts: one set of rules for both ways in.
        { """{"tradeNo":"HSI-1","amount":10,"mobile":"254712345600"}""", "amount" },
        { """{"tradeNo":"HSI-2","amount":120,"mobile":"0612"}""", "mobile" },
        { """{"tradeNo":"HSI-3","amount":120}""", "mobile" },
        { """{"tradeNo":"HSI-4","amount":"12.5","mobile":"254712345600"}""", "amount" },
        { """{"tradeNo":"HSI-5","amount":120,"mobile":"254712345600","colour":"red"}""", "Unknown field 'colour'" },
        { """{"amount":120,"mobile":"254712345600"}""", "tradeNo" },
        { """{"tradeNo":"HSI-7","amount":120,"mobile":"254712345600","tradeNo":"HSI-8"}""", "tradeNo" },
        { """{"tradeNo":"HSI-9", """, "not valid JSON" },
        { "[1,2,3]", "JSON object" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task An_invalid_request_gets_400_with_the_queues_reason_and_nothing_is_enqueued(string body, string reason)
    {
        using var response = await PostAsync("payouts", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!;
        Assert.Contains(reason, detail, StringComparison.Ordinal);
        Assert.True(TransactionRequest.TryParse(body, 50, 250000, out _, out _, out var queueError) is false && detail == queueError,
            $"The HTTP reason '{detail}' differs from the queue's '{queueError}'.");
        Assert.Equal(0, await App.QueueLengthAsync(App.PayoutsQueue));
        Assert.Empty(Sandbox.Ledger.Requests);
    }

    [Fact]
    public async Task A_body_that_is_not_UTF8_gets_400_and_an_oversized_one_413()
    {
        using var badUtf8 = new ByteArrayContent([.. "{\"tradeNo\":\"HSU-1\",\"remark\":\""u8, 0xC3, 0x28, .. "\"}"u8]);
        badUtf8.Headers.ContentType = new("application/json");
        using var notUtf8 = await App.Http.PostAsync($"/api/payouts?code={PayproAppHarness.FunctionKey}", badUtf8);
        using var oversized = await PostAsync(
            "payouts",
            PayproAppHarness.PayoutMessage("HSO-1").Replace("\"test\"", "\"" + new string('x', 2000) + "\"", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.BadRequest, notUtf8.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oversized.StatusCode);
        Assert.Equal(0, await App.QueueLengthAsync(App.PayoutsQueue));
    }

    [Fact]
    public async Task Without_the_key_the_host_answers_401_and_nothing_is_enqueued()
    {
        using var response = await App.Http.PostAsync(
            "/api/payouts",
            new StringContent(PayproAppHarness.PayoutMessage("HSK-1"), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, await App.QueueLengthAsync(App.PayoutsQueue));
    }

    private Task<HttpResponseMessage> PostAsync(string route, string body) =>
        App.Http.PostAsync($"/api/{route}?code={PayproAppHarness.FunctionKey}", new StringContent(body, Encoding.UTF8, "application/json"));
}

/// <summary>The HTTP submit endpoints are off by default, and behind the allow-list when on.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class HttpSubmitSettingsTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task While_off_they_answer_404_and_nothing_is_enqueued()
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);

        using var payout = await app.Http.PostAsync(
            $"/api/payouts?code={PayproAppHarness.FunctionKey}",
            new StringContent(PayproAppHarness.PayoutMessage("OFF-1"), Encoding.UTF8, "application/json"));
        using var payin = await app.Http.PostAsync(
            $"/api/payins?code={PayproAppHarness.FunctionKey}",
            new StringContent(PayproAppHarness.PayoutMessage("OFF-2"), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.NotFound, payout.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, payin.StatusCode);
        Assert.Equal(0, await app.QueueLengthAsync(app.PayoutsQueue));
        Assert.Equal(0, await app.QueueLengthAsync(app.PayinsQueue));
    }

    [Fact]
    public async Task A_caller_outside_the_allow_list_gets_403_and_nothing_is_enqueued()
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox, new Dictionary<string, string?>
        {
            ["Submit:HttpEnabled"] = "true",
            ["Submit:AllowedIpRanges"] = "203.0.113.0/24",
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/payouts?code={PayproAppHarness.FunctionKey}")
        {
            Content = new StringContent(PayproAppHarness.PayoutMessage("IPS-1"), Encoding.UTF8, "application/json"),
        };
        using var allowed = new HttpRequestMessage(HttpMethod.Post, $"/api/payouts?code={PayproAppHarness.FunctionKey}")
        {
            Content = new StringContent(PayproAppHarness.PayoutMessage(TestTradeNos.New("IPS")), Encoding.UTF8, "application/json"),
        };
        allowed.Headers.Add("X-Forwarded-For", "203.0.113.9");

        using var refused = await app.Http.SendAsync(request);
        using var accepted = await app.Http.SendAsync(allowed);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
    }

    [Fact]
    public async Task A_malformed_allow_list_stops_the_app_at_start_up_naming_the_setting()
    {
        await using var sandbox = PayproAppHarness.StartSandbox();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => PayproAppHarness.StartAsync(
            azurite,
            sandbox,
            new Dictionary<string, string?> { ["Submit:AllowedIpRanges"] = "not-an-address" }));

        Assert.Contains("Submit:AllowedIpRanges", error.Message, StringComparison.Ordinal);
    }
}
