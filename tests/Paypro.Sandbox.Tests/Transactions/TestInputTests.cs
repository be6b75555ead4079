using Microsoft.Extensions.Time.Testing;
using Paypro.Sandbox.Tests.Infrastructure;

namespace Paypro.Sandbox.Tests.Transactions;

/// <summary>
/// The documented test inputs: the last two digits of the mobile number choose the outcome,
/// for payouts and payins alike.
/// </summary>
public sealed class TestInputTests
{
    public static TheoryData<string, string, string, string> ExecutedOutcomes => new()
    {
        // kind, mobile, final status, final message
        { "payout", TestMobiles.Success, "0000", "SUCCESS" },
        { "payout", TestMobiles.Rejected, "00029", "REJECTED_TRANSACTION" },
        { "payout", TestMobiles.InsufficientBalance, "00031", "INSUFFICIENT_BALANCE" },
        { "payin", TestMobiles.Success, "0000", "SUCCESS" },
        { "payin", TestMobiles.Rejected, "00029", "REJECTED_TRANSACTION" },
        { "payin", TestMobiles.InsufficientBalance, "00031", "INSUFFICIENT_BALANCE" },
    };

    [Theory]
    [MemberData(nameof(ExecutedOutcomes))]
    public async Task Accepted_as_processing_then_final_by_callback_and_query(string kind, string mobile, string status, string message)
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New();

        var created = await Create(sandbox, kind, tradeNo, mobile);
        Assert.Equal("0000", created.Code);
        Assert.Equal("0015", created.DataString("status"));

        var callback = await sandbox.DeliveredCallbackAsync(tradeNo);
        Assert.Equal(status, callback.Fields["status"]);
        Assert.Equal(message, callback.Fields["message"]);
        var query = await Query(sandbox, kind, tradeNo);
        Assert.Equal("0000", query.Code);
        Assert.Equal(status, query.DataString("status"));
        Assert.Equal(message, query.DataString("message"));
        var entry = sandbox.Host.Ledger.Find(kind == "payout" ? SandboxTransactionKind.Payout : SandboxTransactionKind.Payin, tradeNo)!;
        Assert.Equal(mobile, entry.Mobile);
        Assert.Equal(status == "0000", entry.MpesaReceiptNumber is not null);
    }

    [Theory]
    [InlineData("payout")]
    [InlineData("payin")]
    public async Task Ending_13_stays_processing_for_the_long_delay_then_succeeds(string kind)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 7, 1, 12, 0, 0, TimeSpan.Zero));
        await using var sandbox = await TestSandbox.StartAsync(o =>
        {
            o.TimeScale = 1;
            o.SuccessDelay = TimeSpan.FromSeconds(5);
            o.LongProcessingDelay = TimeSpan.FromMinutes(10);
        }, time);
        var slow = TestTradeNos.New("S");
        var usual = TestTradeNos.New("U");
        await Create(sandbox, kind, slow, TestMobiles.LongProcessing);
        await Create(sandbox, kind, usual, TestMobiles.Success);

        // The usual one completing proves the success delay has passed for both.
        time.Advance(TimeSpan.FromSeconds(5));
        await sandbox.DeliveredCallbackAsync(usual);
        time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal("0015", (await Query(sandbox, kind, slow)).DataString("status"));

        time.Advance(TimeSpan.FromMinutes(1));
        var callback = await sandbox.DeliveredCallbackAsync(slow);

        Assert.Equal("0000", callback.Fields["status"]);
        Assert.Equal("0000", (await Query(sandbox, kind, slow)).DataString("status"));
        Assert.Equal(
            time.GetUtcNow(),
            sandbox.Host.Ledger.Find(kind == "payout" ? SandboxTransactionKind.Payout : SandboxTransactionKind.Payin, slow)!.CompletedAt);
    }

    [Theory]
    [InlineData("payout", TestMobiles.Refused, "8000")]
    [InlineData("payin", TestMobiles.Refused, "8000")]
    [InlineData("payout", TestMobiles.SystemError, "5000")]
    [InlineData("payin", TestMobiles.SystemError, "5000")]
    public async Task Endings_14_and_15_are_refused_and_never_executed(string kind, string mobile, string code)
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New();

        var created = await Create(sandbox, kind, tradeNo, mobile);

        Assert.Equal(code, created.Code);
        Assert.Contains(code == "8000" ? "test input 14" : "test input 15", created.Msg);
        Assert.Empty(sandbox.Host.Ledger.Entries);
        Assert.False(Assert.Single(sandbox.Host.Ledger.CreateAttempts(tradeNo)).Executed);
        Assert.Equal("8000", (await Query(sandbox, kind, tradeNo)).Code);
        Assert.Empty(sandbox.Host.Callbacks);
    }

    [Theory]
    [InlineData("payout")]
    [InlineData("payin")]
    public async Task Ending_16_succeeds_in_the_create_answer(string kind)
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.SuccessDelay = TimeSpan.FromDays(30));
        var tradeNo = TestTradeNos.New();

        var created = await Create(sandbox, kind, tradeNo, TestMobiles.ImmediateSuccess);

        Assert.Equal("0000", created.Code);
        Assert.Equal("0000", created.DataString("status"));
        Assert.Equal("0000", (await Query(sandbox, kind, tradeNo)).DataString("status"));
        Assert.Equal("0000", (await sandbox.DeliveredCallbackAsync(tradeNo)).Fields["status"]);
    }

    [Fact]
    public async Task A_payout_above_the_available_balance_ends_as_insufficient_balance()
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.InitialBalance = 100);
        var tradeNo = TestTradeNos.New();

        var created = await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success, amount: "101");
        var callback = await sandbox.DeliveredCallbackAsync(tradeNo);

        Assert.Equal("0015", created.DataString("status"));
        Assert.Equal("00031", callback.Fields["status"]);
        Assert.Equal(new SandboxBalance(100, 0, 0), sandbox.Host.Ledger.Balance);
    }

    [Fact]
    public async Task Every_executed_transaction_gets_its_own_platform_number_and_receipt()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNos = Enumerable.Range(0, 10).Select(_ => TestTradeNos.New()).ToArray();

        foreach (var tradeNo in tradeNos)
        {
            await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.ImmediateSuccess);
        }

        var entries = sandbox.Host.Ledger.Entries;
        Assert.Equal(10, entries.Select(e => e.PlatFormTradeNo).Distinct().Count());
        Assert.Equal(10, entries.Select(e => e.MpesaReceiptNumber).Distinct().Count());
    }

    private static Task<PayproReply> Create(TestSandbox sandbox, string kind, string tradeNo, string mobile) =>
        kind == "payout"
            ? sandbox.Client.PayoutAsync(tradeNo, mobile)
            : sandbox.Client.PayinAsync(tradeNo, mobile, sandbox.Receiver.NotifyUrl);

    private static Task<PayproReply> Query(TestSandbox sandbox, string kind, string tradeNo) =>
        kind == "payout" ? sandbox.Client.QueryPayoutAsync(tradeNo) : sandbox.Client.QueryPayinAsync(tradeNo);
}
