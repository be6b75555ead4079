using Paypro.Sandbox.Tests.Infrastructure;

namespace Paypro.Sandbox.Tests;

/// <summary>The client library pointed at the sandbox: every call over real HTTP on loopback, with the documented results.</summary>
public sealed class ClientAgainstSandboxTests : IAsyncLifetime
{
    private TestSandbox _sandbox = null!;
    private SandboxPayproClient _paypro = null!;

    private PayproClient Client => _paypro.Client;

    public async Task InitializeAsync()
    {
        _sandbox = await TestSandbox.StartAsync();
        _paypro = SandboxPayproClient.For(_sandbox.Host, requestTimeout: TimeSpan.FromSeconds(5));
    }

    public async Task DisposeAsync()
    {
        await _paypro.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    private Uri NotifyUrl => new(_sandbox.Receiver.NotifyUrl);

    [Fact]
    public async Task A_payout_is_accepted_as_processing_then_found_succeeded_by_query()
    {
        var tradeNo = TestTradeNos.New("C");
        var created = await Client.CreatePayoutAsync(new PayoutCreateOptions
        {
            TradeNo = tradeNo,
            Amount = 120,
            Mobile = "0712345600",
            NotifyUrl = NotifyUrl,
        });

        Assert.Equal(PayproOutcome.Accepted, created.Outcome);
        Assert.Equal(PayproStatus.Processing, created.Status);
        Assert.NotNull(created.SerialNumber);
        await _sandbox.DeliveredCallbackAsync(tradeNo);
        var queried = await Client.QueryPayoutAsync(tradeNo);
        Assert.Equal(PayproQueryOutcome.Found, queried.Outcome);
        Assert.Equal(PayproStatusKind.Succeeded, queried.Transaction!.Kind);
        Assert.Equal(120m, queried.Transaction.Amount);
        Assert.Equal(tradeNo, queried.Transaction.TradeNo);
        Assert.NotNull(queried.Transaction.SuccessTimeUtc);
        Assert.Equal(TestMobiles.Success, Assert.Single(_sandbox.Host.Ledger.Entries, e => e.TradeNo == tradeNo).Mobile);
    }

    [Fact]
    public async Task A_payin_is_accepted_and_found_by_query()
    {
        var tradeNo = TestTradeNos.New("C");
        var created = await Client.CreatePayinAsync(new PayinCreateOptions
        {
            TradeNo = tradeNo,
            Amount = 75,
            Mobile = TestMobiles.Success,
            NotifyUrl = NotifyUrl,
            Remark = "order 77",
        });

        Assert.Equal(PayproOutcome.Accepted, created.Outcome);
        await _sandbox.DeliveredCallbackAsync(tradeNo);
        var queried = await Client.QueryPayinAsync(tradeNo);
        Assert.Equal(PayproQueryOutcome.Found, queried.Outcome);
        Assert.Equal(PayproStatus.Success, queried.Transaction!.Status);
    }

    [Fact]
    public async Task A_checkout_returns_the_payment_page_url()
    {
        var created = await Client.CreateCheckoutAsync(new CheckoutCreateOptions
        {
            TradeNo = TestTradeNos.New("C"),
            Amount = 300,
            NotifyUrl = NotifyUrl,
        });

        Assert.Equal(PayproOutcome.Accepted, created.Outcome);
        Assert.NotNull(created.CheckoutUrl);
        using var http = new HttpClient();
        Assert.True((await http.GetAsync(created.CheckoutUrl)).IsSuccessStatusCode);
    }

    [Fact]
    public async Task A_failure_status_is_found_with_Paypros_status_and_message()
    {
        var tradeNo = TestTradeNos.New("C");
        await Client.CreatePayoutAsync(new PayoutCreateOptions
        {
            TradeNo = tradeNo,
            Amount = 120,
            Mobile = TestMobiles.Rejected,
            NotifyUrl = NotifyUrl,
        });
        await _sandbox.DeliveredCallbackAsync(tradeNo);

        var queried = await Client.QueryPayoutAsync(tradeNo);

        Assert.Equal(PayproStatusKind.Failed, queried.Transaction!.Kind);
        Assert.Equal("00029", queried.Transaction.Status);
        Assert.Equal("REJECTED_TRANSACTION", queried.Transaction.Message);
    }

    [Fact]
    public async Task A_refused_order_is_refused_and_a_system_error_is_unknown_and_neither_is_found_later()
    {
        var refused = TestTradeNos.New("C");
        var unknown = TestTradeNos.New("C");

        var refusal = await Client.CreatePayoutAsync(new PayoutCreateOptions
        {
            TradeNo = refused,
            Amount = 120,
            Mobile = TestMobiles.Refused,
        });
        var systemError = await Client.CreatePayoutAsync(new PayoutCreateOptions
        {
            TradeNo = unknown,
            Amount = 120,
            Mobile = TestMobiles.SystemError,
        });

        Assert.Equal(PayproOutcome.Refused, refusal.Outcome);
        Assert.Equal(PayproStatus.OrderError, refusal.Code);
        Assert.Equal(PayproOutcome.Unknown, systemError.Outcome);
        Assert.Equal(PayproStatus.SystemException, systemError.Code);
        Assert.Equal(PayproQueryOutcome.NotFound, (await Client.QueryPayoutAsync(refused)).Outcome);
        Assert.Equal(PayproQueryOutcome.NotFound, (await Client.QueryPayoutAsync(unknown)).Outcome);
        Assert.DoesNotContain(_sandbox.Host.Ledger.Entries, e => e.TradeNo == refused || e.TradeNo == unknown);
    }

    [Fact]
    public async Task A_duplicate_tradeNo_is_refused_and_paid_once()
    {
        var tradeNo = TestTradeNos.New("C");
        var payout = new PayoutCreateOptions { TradeNo = tradeNo, Amount = 120, Mobile = TestMobiles.Success };

        Assert.Equal(PayproOutcome.Accepted, (await Client.CreatePayoutAsync(payout)).Outcome);
        Assert.Equal(PayproOutcome.Refused, (await Client.CreatePayoutAsync(payout)).Outcome);

        Assert.Single(_sandbox.Host.Ledger.Entries, e => e.TradeNo == tradeNo);
    }

    [Fact]
    public async Task An_mpesa_receipt_code_is_found_and_an_unknown_code_is_not()
    {
        var tradeNo = TestTradeNos.New("C");
        await Client.CreatePayoutAsync(new PayoutCreateOptions { TradeNo = tradeNo, Amount = 120, Mobile = TestMobiles.ImmediateSuccess });
        var code = await Eventually.UntilAsync(
            () => _sandbox.Host.Ledger.Entries.SingleOrDefault(e => e.TradeNo == tradeNo)?.MpesaReceiptNumber,
            "the payout has an M-Pesa receipt");

        var found = await Client.QueryByMpesaCodeAsync(code!);
        var missing = await Client.QueryByMpesaCodeAsync("ZZZZZZZZZ9");

        Assert.Equal(PayproQueryOutcome.Found, found.Outcome);
        Assert.Equal(code, found.Transaction!.MpesaReceiptNumber);
        Assert.Equal(PayproStatusKind.Succeeded, found.Transaction.Kind);
        Assert.Equal(PayproQueryOutcome.NotFound, missing.Outcome);
    }

    [Fact]
    public async Task The_balance_moves_with_a_payout()
    {
        var before = await Client.GetBalanceAsync();
        var tradeNo = TestTradeNos.New("C");
        await Client.CreatePayoutAsync(new PayoutCreateOptions { TradeNo = tradeNo, Amount = 500, Mobile = TestMobiles.ImmediateSuccess });
        await Eventually.UntilAsync(
            () => _sandbox.Host.Ledger.Balance.AvailableAmount <= (long)before.AvailableAmount!.Value - 500,
            "the payout left the balance");

        var after = await Client.GetBalanceAsync();

        Assert.Equal(PayproQueryOutcome.Found, before.Outcome);
        Assert.Equal(before.AvailableAmount - 500, after.AvailableAmount);
    }

    [Fact]
    public async Task A_client_with_the_wrong_secret_is_refused_by_the_sandbox_and_nothing_is_paid()
    {
        await using var wrong = SandboxPayproClient.For(_sandbox.Host, secret: "not-the-app-secret");
        var tradeNo = TestTradeNos.New("C");

        var result = await wrong.Client.CreatePayoutAsync(new PayoutCreateOptions
        {
            TradeNo = tradeNo,
            Amount = 120,
            Mobile = TestMobiles.Success,
        });

        // An unknown code on a create call is not a verdict: the caller must resolve it by query.
        Assert.Equal(PayproOutcome.Unknown, result.Outcome);
        Assert.Equal("1002", result.Code);
        Assert.DoesNotContain(_sandbox.Host.Ledger.Entries, e => e.TradeNo == tradeNo);
    }
}
