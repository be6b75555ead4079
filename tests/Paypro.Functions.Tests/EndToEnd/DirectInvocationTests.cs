using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;
using Paypro.Functions.Configuration;
using Paypro.Functions.Functions;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>
/// The queue functions called directly as the worker calls them, on the real engine against Azurite and the
/// sandbox, at the first and at the last allowed delivery.
/// </summary>
public sealed class DirectInvocationTests(AzuriteFixture azurite) : PayproAppTest(azurite)
{
    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public async Task A_message_that_can_never_succeed_goes_to_the_poison_queue_at_once_with_its_reason(long dequeueCount)
    {
        var text = "not json " + Guid.NewGuid().ToString("N");
        var message = QueuesModelFactory.QueueMessage(
            "m-" + dequeueCount,
            "pop",
            new BinaryData(text),
            dequeueCount,
            DateTimeOffset.UtcNow);

        // Returns normally: the host deletes the message instead of retrying it four more times.
        await Function<SubmitPayout>().Run(message, CancellationToken.None);

        var poison = App.Queues.GetQueueClient(QueueNames.PoisonOf(App.PayoutsQueue));
        var poisoned = Assert.Single((await poison.PeekMessagesAsync(32)).Value, m => m.Body.ToString() == text);
        var reason = await App.UncountedOperations.GetPoisonReasonAsync(poison.Name, poisoned.MessageId, CancellationToken.None);
        Assert.NotNull(reason);
        Assert.Contains("m-" + dequeueCount, reason, StringComparison.Ordinal);
        Assert.Contains("JSON", reason, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(Sandbox.Ledger.Requests);
    }

    [Fact]
    public async Task A_valid_message_at_its_last_delivery_is_submitted_once_and_a_redelivery_sends_nothing()
    {
        var tradeNo = TestTradeNos.New("DI");
        var body = new BinaryData(PayproAppHarness.PayoutMessage(tradeNo));

        await Function<SubmitPayout>().Run(
            QueuesModelFactory.QueueMessage("m-a", "pop", body, 5, DateTimeOffset.UtcNow),
            CancellationToken.None);
        await Function<SubmitPayout>().Run(
            QueuesModelFactory.QueueMessage("m-b", "pop", body, 1, DateTimeOffset.UtcNow),
            CancellationToken.None);

        var record = await App.WaitForStateAsync(tradeNo, s => s.Rank() >= TransactionState.Submitted.Rank(), "submitted or later");
        Assert.Equal(TransactionKind.Payout, record.Kind);
        Assert.Single(Sandbox.Ledger.Requests, r => r.TradeNo == tradeNo);
    }

    private TFunction Function<TFunction>() where TFunction : class =>
        ActivatorUtilities.CreateInstance<TFunction>(App.App.Services);
}
