using Microsoft.Extensions.Logging;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.EndToEnd;

public sealed class PayoutHappyPathTests(AzuriteFixture azurite) : PayproAppTest(azurite)
{
    [Fact]
    public async Task A_queued_payout_is_paid_once_and_succeeds_through_the_signed_callback()
    {
        var tradeNo = TestTradeNos.New();
        await App.EnqueuePayoutAsync(tradeNo, amount: 150, mobile: "0712345600");

        var record = await App.WaitForStateAsync(tradeNo, TransactionState.Succeeded);
        var events = await App.WaitForEventsAsync(tradeNo, 1);

        Assert.Equal(150, record.Amount);
        Assert.Equal("0000", record.PayproStatus);
        Assert.NotNull(record.PlatFormTradeNo);
        var entry = Assert.Single(Sandbox.Ledger.Entries, e => e.TradeNo == tradeNo);
        Assert.Equal(150, entry.Amount);
        Assert.Equal(TestMobiles.Success, entry.Mobile);
        Assert.Single(Sandbox.Ledger.CreateAttempts(tradeNo));
        var succeeded = Assert.Single(events);
        Assert.Equal("payout.succeeded", succeeded.GetProperty("type").GetString());
        Assert.Equal($"{tradeNo}:succeeded", succeeded.GetProperty("id").GetString());
        Assert.Equal("c-" + tradeNo, succeeded.GetProperty("metadata").GetProperty("correlationId").GetString());
        Assert.Equal(150, succeeded.GetProperty("amount").GetInt64());
        // The Azure SDK's own request logs, which the client factory forwards, stay out of the app's log below Error.
        Assert.DoesNotContain(
            App.Logs.GetSnapshot(),
            r => r.Category?.StartsWith(PayproFunctionsExtensions.AzureSdkLogCategory, StringComparison.Ordinal) == true
                && r.Level < LogLevel.Error);
    }
}
