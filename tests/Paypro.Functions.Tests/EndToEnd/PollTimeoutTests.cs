using System.Diagnostics;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;
using Paypro.Sandbox;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>
/// The longest poll fits within host.json's functionTimeout: checks still running at its hard stop are cancelled, and stay due.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class PollTimeoutTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan FunctionTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_poll_whose_query_hangs_returns_before_the_function_timeout_and_leaves_the_transaction_due()
    {
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(365));
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox, new Dictionary<string, string?>
        {
            ["AzureFunctionsJobHost:functionTimeout"] = "00:00:10",
            ["Poll:TimeBudget"] = "00:00:02",
            ["Reconcile:TimeBudget"] = "00:00:02",
            // One query attempt may take a minute: far beyond the function timeout.
            ["Paypro:RequestTimeout"] = "00:01:00",
        });
        var tradeNo = await app.SubmittedPayoutAsync("TO");
        var hang = sandbox.Faults.Add(new SandboxFault
        {
            Endpoint = TransactionKinds.QueryPath(TransactionKind.Payout),
            Kind = FaultKind.Latency,
            Delay = TimeSpan.FromDays(1),
            Count = null,
        });

        app.Clock.Skip(PayproAppHarness.MaxBackoff);
        var poll = Stopwatch.StartNew();
        await app.PollAsync();
        poll.Stop();

        Assert.True(poll.Elapsed < FunctionTimeout, $"the poll took {poll.Elapsed}, past the function timeout of {FunctionTimeout}");
        Assert.Contains(app.Logs.GetSnapshot(), r => r.Id.Id == 1043);
        Assert.NotNull(await app.UncountedDue.GetDueEntryAsync(tradeNo, null, CancellationToken.None));
        Assert.Equal(TransactionState.Submitted, (await app.GetAsync(tradeNo))!.State);

        // Once queries answer again, the next poll checks it as usual.
        Assert.True(sandbox.Faults.Remove(hang));
        await app.PollUntilAsync(tradeNo, TransactionState.Processing);
    }
}
