using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;
using Paypro.Sandbox;

namespace Paypro.Functions.Tests.EndToEnd;

[Collection(AzuriteCollection.Name)]
public sealed class PayoutHappyPathTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private SandboxHost _sandbox = null!;
    private PayproAppHarness _app = null!;

    public async Task InitializeAsync()
    {
        _sandbox = PayproAppHarness.StartSandbox();
        _app = await PayproAppHarness.StartAsync(azurite, _sandbox);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    [Fact]
    public async Task A_queued_payout_is_paid_once_and_succeeds_through_the_signed_callback()
    {
        var tradeNo = PayproAppHarness.NewTradeNo();
        await _app.EnqueuePayoutAsync(tradeNo, amount: 150, mobile: "0712345600");

        var record = await _app.WaitForStateAsync(tradeNo, TransactionState.Succeeded);
        var events = await _app.WaitForEventsAsync(tradeNo, 1);

        Assert.Equal(150, record.Amount);
        Assert.Equal("0000", record.PayproStatus);
        Assert.NotNull(record.PlatFormTradeNo);
        var entry = Assert.Single(_sandbox.Ledger.Entries, e => e.TradeNo == tradeNo);
        Assert.Equal(150, entry.Amount);
        Assert.Equal("254712345600", entry.Mobile);
        Assert.Single(_sandbox.Ledger.CreateAttempts(tradeNo));
        var succeeded = Assert.Single(events);
        Assert.Equal("payout.succeeded", succeeded.GetProperty("type").GetString());
        Assert.Equal($"{tradeNo}:succeeded", succeeded.GetProperty("id").GetString());
        Assert.Equal("c-" + tradeNo, succeeded.GetProperty("metadata").GetProperty("correlationId").GetString());
        Assert.Equal(150, succeeded.GetProperty("amount").GetInt64());
    }
}
