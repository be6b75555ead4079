using System.Net;
using System.Text;
using Paypro.Functions.Configuration;
using Paypro.Functions.Tests.Infrastructure;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>
/// Payouts paused with the platform's switch (<c>AzureWebJobs.SubmitPayout.Disabled</c>): what the app itself puts on
/// the payouts queue meanwhile (the HTTP submit, a redrive) waits there untouched and never expires, however long the
/// pause lasts. That they go once resumed is shown under the host emulator (<c>WorkerEmulatorTests</c>).
/// </summary>
public sealed class PauseTests(AzuriteFixture azurite) : PayproAppTest(azurite)
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Submit:HttpEnabled"] = "true",
        ["AzureWebJobs.SubmitPayout.Disabled"] = "true",
    };

    [Fact]
    public async Task While_payouts_are_paused_the_http_submit_and_a_redrive_enqueue_messages_that_wait_and_never_expire()
    {
        var overHttp = TestTradeNos.New("PSH");
        var redriven = TestTradeNos.New("PSR");
        await App.EnqueueAsync(QueueNames.PoisonOf(App.PayoutsQueue), PayproAppHarness.PayoutMessage(redriven));

        using var accepted = await App.Http.PostAsync(
            $"/api/payouts?code={PayproAppHarness.FunctionKey}",
            Json(PayproAppHarness.PayoutMessage(overHttp)));
        using var redrive = await App.Http.PostAsync(
            $"/api/poison/payouts/redrive?code={PayproAppHarness.MasterKey}",
            Json("""{"all":true}"""));

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, redrive.StatusCode);
        var waiting = (await App.Queues.GetQueueClient(App.PayoutsQueue).PeekMessagesAsync(32)).Value;
        Assert.Equal(2, waiting.Length);
        Assert.All(waiting, message =>
        {
            // Storage's "never": a message sent with the default time to live would expire 7 days after it was sent.
            Assert.Equal(DateTimeOffset.MaxValue.Year, message.ExpiresOn?.Year);
            Assert.Equal(0, message.DequeueCount);
        });
        Assert.Null(await App.UncountedStore.GetAsync(overHttp, CancellationToken.None));
        Assert.Null(await App.UncountedStore.GetAsync(redriven, CancellationToken.None));
        Assert.Empty(Sandbox.Ledger.Requests);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
