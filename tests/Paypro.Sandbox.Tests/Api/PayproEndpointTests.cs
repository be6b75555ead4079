using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Paypro.Sandbox.Tests.Infrastructure;

namespace Paypro.Sandbox.Tests.Api;

/// <summary>Each Paypro path answers with Paypro Kenya's envelope, field names and field types.</summary>
public sealed partial class PayproEndpointTests
{
    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex Hex32();

    [GeneratedRegex("^[A-Z0-9]{10}$")]
    private static partial Regex ReceiptCode();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")]
    private static partial Regex KenyaTime();

    [Fact]
    public async Task Payout_is_accepted_as_processing_with_the_documented_envelope()
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.SuccessDelay = TimeSpan.FromDays(30));
        var tradeNo = TestTradeNos.New();

        var reply = await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("0000", reply.Code);
        Assert.Equal("success", reply.Msg);
        Assert.Equal(JsonValueKind.Number, reply.Root.GetProperty("timestamp").ValueKind);
        Assert.Equal(13, reply.Root.GetProperty("timestamp").GetRawText().Length);
        Assert.Equal(JsonValueKind.True, reply.Root.GetProperty("success").ValueKind);
        Assert.Matches(Hex32(), reply.DataString("serialNumber"));
        Assert.Equal("0015", reply.DataString("status"));
        var entry = Assert.Single(sandbox.Host.Ledger.Entries);
        Assert.Equal(reply.DataString("serialNumber"), entry.PlatFormTradeNo);
    }

    [Fact]
    public async Task Payout_status_query_shows_processing_then_success_with_a_numeric_amount()
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.SuccessDelay = TimeSpan.FromDays(30));
        var tradeNo = TestTradeNos.New();
        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success, amount: "120");

        var processing = await sandbox.Client.QueryPayoutAsync(tradeNo);
        Assert.Equal("0000", processing.Code);
        Assert.Equal("0015", processing.DataString("status"));
        Assert.Equal("PROCESSING", processing.DataString("message"));
        Assert.Equal(JsonValueKind.Null, processing.Data.GetProperty("successTime").ValueKind);

        sandbox.Host.SetTransactionStatus(SandboxTransactionKind.Payout, tradeNo, "0000", notify: false);
        var done = await sandbox.Client.QueryPayoutAsync(tradeNo);

        Assert.Equal("0000", done.DataString("status"));
        Assert.Equal("SUCCESS", done.DataString("message"));
        Assert.Equal(tradeNo, done.DataString("tradeNo"));
        Assert.Matches(Hex32(), done.DataString("platFormTradeNo"));
        Assert.Equal(JsonValueKind.Number, done.Data.GetProperty("amount").ValueKind);
        Assert.Equal("120.0000", done.Data.GetProperty("amount").GetRawText());
        Assert.Matches(KenyaTime(), done.DataString("successTime"));
    }

    [Fact]
    public async Task Success_time_is_Kenya_local_time()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New();
        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.ImmediateSuccess);

        var reply = await sandbox.Client.QueryPayoutAsync(tradeNo);
        var completedAt = sandbox.Host.Ledger.Find(SandboxTransactionKind.Payout, tradeNo)!.CompletedAt!.Value;

        Assert.Equal(completedAt.ToOffset(TimeSpan.FromHours(3)).ToString("yyyy-MM-dd HH:mm:ss"), reply.DataString("successTime"));
    }

    [Fact]
    public async Task Payin_and_payin_status_query()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New("P");

        var created = await sandbox.Client.PayinAsync(tradeNo, TestMobiles.Success, sandbox.Receiver.NotifyUrl, amount: "75");
        Assert.Equal("0000", created.Code);
        Assert.Equal("0015", created.DataString("status"));
        Assert.Matches(Hex32(), created.DataString("serialNumber"));

        await sandbox.DeliveredCallbackAsync(tradeNo);
        var reply = await sandbox.Client.QueryPayinAsync(tradeNo);

        Assert.Equal("0000", reply.Code);
        Assert.Equal("0000", reply.DataString("status"));
        Assert.Equal("75.0000", reply.Data.GetProperty("amount").GetRawText());
        Assert.Equal(created.DataString("serialNumber"), reply.DataString("platFormTradeNo"));
        Assert.Equal(SandboxTransactionKind.Payin, sandbox.Host.Ledger.Find(SandboxTransactionKind.Payin, tradeNo)!.Kind);
    }

    [Fact]
    public async Task Payin_and_payout_status_queries_look_in_their_own_space()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New();
        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success);

        Assert.Equal("8000", (await sandbox.Client.QueryPayinAsync(tradeNo)).Code);

        // The same tradeNo is free in the payin space.
        Assert.Equal("0000", (await sandbox.Client.PayinAsync(tradeNo, TestMobiles.Success, sandbox.Receiver.NotifyUrl)).Code);
        Assert.Equal(2, sandbox.Host.Ledger.Entries.Count);
    }

    [Fact]
    public async Task Checkout_returns_a_payment_url_to_a_page_the_sandbox_serves()
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.SuccessDelay = TimeSpan.FromDays(30));
        var tradeNo = TestTradeNos.New("C");

        var reply = await sandbox.Client.CheckoutAsync(tradeNo, sandbox.Receiver.NotifyUrl, amount: "1500");

        Assert.Equal("0000", reply.Code);
        Assert.Equal("0015", reply.DataString("status"));
        var url = new Uri(reply.DataString("paymentUrl")!);
        Assert.Equal(sandbox.Host.BaseUrl.Authority, url.Authority);
        using var page = await sandbox.Client.Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains(tradeNo, html);
        Assert.Contains("KES 1,500", html);
        Assert.Contains("/pay\"", html);
        Assert.Equal(SandboxTransactionKind.Checkout, sandbox.Host.Ledger.Find(SandboxTransactionKind.Payin, tradeNo)!.Kind);
    }

    [Fact]
    public async Task Checkout_succeeds_on_its_own_after_the_success_delay()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New("C");
        await sandbox.Client.CheckoutAsync(tradeNo, sandbox.Receiver.NotifyUrl);

        var callback = await sandbox.DeliveredCallbackAsync(tradeNo);

        Assert.Equal("0000", callback.Fields["status"]);
        Assert.Equal("0000", (await sandbox.Client.QueryPayinAsync(tradeNo)).DataString("status"));
    }

    [Theory]
    [InlineData("pay", "0000")]
    [InlineData("cancel", "00029")]
    public async Task Checkout_page_buttons_settle_the_payment_at_once(string button, string status)
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.SuccessDelay = TimeSpan.FromDays(30));
        var tradeNo = TestTradeNos.New("C");
        var url = (await sandbox.Client.CheckoutAsync(tradeNo, sandbox.Receiver.NotifyUrl)).DataString("paymentUrl");

        using var pressed = await sandbox.Client.Http.PostAsync($"{url}/{button}", null);
        var html = await pressed.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, pressed.StatusCode);
        Assert.Contains(status, html);
        Assert.DoesNotContain("/pay\"", html);
        Assert.Equal(status, (await sandbox.Client.QueryPayinAsync(tradeNo)).DataString("status"));
        Assert.Equal(status, (await sandbox.DeliveredCallbackAsync(tradeNo)).Fields["status"]);

        using var again = await sandbox.Client.Http.PostAsync($"{url}/pay", null);
        Assert.Contains("already final", await again.Content.ReadAsStringAsync());
        Assert.Equal(status, (await sandbox.Client.QueryPayinAsync(tradeNo)).DataString("status"));
    }

    [Fact]
    public async Task Unknown_checkout_page_is_not_found()
    {
        await using var sandbox = await TestSandbox.StartAsync();

        using var page = await sandbox.Client.Http.GetAsync("checkout/0123456789abcdef0123456789abcdef");

        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
    }

    [Fact]
    public async Task Mpesa_code_lookup_finds_a_successful_transaction_by_its_receipt()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New();
        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.ImmediateSuccess, amount: "300");
        var receipt = sandbox.Host.Ledger.Find(SandboxTransactionKind.Payout, tradeNo)!.MpesaReceiptNumber;
        Assert.Matches(ReceiptCode(), receipt);

        var reply = await sandbox.Client.QueryByCodeAsync(receipt!);

        Assert.Equal("0000", reply.Code);
        Assert.Equal(receipt, reply.DataString("mpesaReceiptNumber"));
        Assert.Equal(tradeNo, reply.DataString("tradeNo"));
        Assert.Equal("0000", reply.DataString("status"));
        Assert.Equal("300.0000", reply.Data.GetProperty("amount").GetRawText());
        Assert.Matches(Hex32(), reply.DataString("platFormTradeNo"));
    }

    [Fact]
    public async Task Mpesa_code_lookup_of_an_unknown_code_is_an_order_error()
    {
        await using var sandbox = await TestSandbox.StartAsync();

        var reply = await sandbox.Client.QueryByCodeAsync("SHL2A6WAQU");

        Assert.Equal("8000", reply.Code);
        Assert.Equal(JsonValueKind.False, reply.Root.GetProperty("success").ValueKind);
        Assert.Equal(JsonValueKind.Null, reply.Data.ValueKind);
    }

    [Fact]
    public async Task Balance_answers_available_freeze_and_unsettled_amounts()
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.InitialBalance = 5000);

        var reply = await sandbox.Client.BalanceAsync();

        Assert.Equal("0000", reply.Code);
        Assert.Equal("5000.0000", reply.Data.GetProperty("availableAmount").GetRawText());
        Assert.Equal("0.0000", reply.Data.GetProperty("freezeAmount").GetRawText());
        Assert.Equal("0.0000", reply.Data.GetProperty("unsettledAmount").GetRawText());
    }

    [Fact]
    public async Task Balance_path_is_configurable()
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.BalancePath = "/api/merchant/balance");

        var moved = await sandbox.Client.BalanceAsync("/api/merchant/balance");
        using var old = await sandbox.Client.Http.PostAsync("api/balance", new StringContent("{}"));

        Assert.Equal("0000", moved.Code);
        Assert.Equal(HttpStatusCode.NotFound, old.StatusCode);
    }

    [Fact]
    public async Task Paths_accept_only_post()
    {
        await using var sandbox = await TestSandbox.StartAsync();

        using var get = await sandbox.Client.Http.GetAsync("api/payout");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
    }

    [Fact]
    public async Task Numeric_field_values_are_accepted_and_signed_as_written()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New();
        var timestamp = SandboxClient.Timestamp();
        var sign = PayproSignature.Compute(
            SandboxClient.Fields(("amount", "50"), ("mobile", TestMobiles.Success), ("timestamp", timestamp), ("tradeNo", tradeNo)),
            sandbox.Host.Options.AppSecret);
        var body =
            $$"""{"amount":50,"mobile":"{{TestMobiles.Success}}","timestamp":{{timestamp}},"tradeNo":"{{tradeNo}}","sign":"{{sign}}"}""";

        var reply = await sandbox.Client.PostRawAsync(PayproPaths.Payout, body);

        Assert.Equal("0000", reply.Code);
        Assert.Equal(50, sandbox.Host.Ledger.Find(SandboxTransactionKind.Payout, tradeNo)!.Amount);
    }
}
