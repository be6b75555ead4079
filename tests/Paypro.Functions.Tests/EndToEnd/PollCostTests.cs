using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Paypro.Functions.Storage;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>The poll's cost follows the pending transactions, not the number ever made (counted, not timed).</summary>
/// <remarks>
/// In the Azurite collection so it does not compete with the other end-to-end tests for the CPU, but on a
/// private Azurite: the shared one would carry ten thousand rows (and save them to disk) for the rest of the run.
/// </remarks>
[Collection(AzuriteCollection.Name)]
public sealed class PollCostTests
{
    private const int Finished = 10_000;
    private const int Due = 100;
    private const int NotYetDue = 10;

    [Fact]
    public async Task A_poll_over_ten_thousand_finished_and_a_hundred_pending_transactions_reads_only_the_due_ones()
    {
        await using var azurite = await AzuriteFixture.StartAsync();
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        // Written around the app, through a client the counter does not see.
        var transactions = app.Tables.GetTableClient(app.TablePrefix + "Transactions");
        var now = app.Clock.GetUtcNow();
        var batch = $"{Guid.NewGuid():N}"[..8];
        var finished = Enumerable.Range(0, Finished)
            .Select(i => Record($"FIN{batch}{i:D5}", i % 3 == 0 ? TransactionState.Failed : TransactionState.Succeeded, now));
        var due = Enumerable.Range(0, Due).Select(i => Record($"DUE{batch}{i:D3}", TransactionState.Submitted, now)).ToList();
        var later = Enumerable.Range(0, NotYetDue).Select(i => Record($"LATER{batch}{i:D2}", TransactionState.Submitted, now)).ToList();
        await Parallel.ForEachAsync(
            finished.Concat(due).Concat(later),
            new ParallelOptions { MaxDegreeOfParallelism = 32 },
            async (record, token) => await transactions.AddEntityAsync(TransactionStore.ToEntity(record, 1), token));
        foreach (var (record, i) in due.Select((r, i) => (r, i)))
        {
            await app.UncountedDue.ScheduleAsync(
                record.TradeNo,
                now - TimeSpan.FromMinutes(5) + TimeSpan.FromMilliseconds(i),
                0,
                null,
                CancellationToken.None);
        }
        foreach (var record in later)
        {
            await app.UncountedDue.ScheduleAsync(record.TradeNo, now + TimeSpan.FromHours(1), 0, null, CancellationToken.None);
        }
        var dueTradeNos = due.Select(r => r.TradeNo).ToHashSet();

        app.Storage.Reset();
        await app.PollAsync();

        var requests = app.Storage.Requests;
        var listing = string.Join("\n", requests);
        // Every due entry, plus one point read of its record; then the gauges' one read of the pending entries
        // (due now or later); and, once per process, the layout row that says which index partitions exist. Nothing of
        // the finished transactions is read. Each read of the index is one query per index partition.
        var pending = Due + NotYetDue;
        var partitions = app.App.Services.GetRequiredService<IOptions<StorageOptions>>().Value.IndexPartitions;
        // The layout row is absent (nothing read) until its first reader records the partition count.
        Assert.True(app.Storage.EntitiesRead - (Due + Due + pending) is 0 or 1,
            $"expected the layout row + {Due} due entries + {Due} record reads + {pending} pending entries for the gauges, "
                + $"read {app.Storage.EntitiesRead} entities in:\n{listing}");
        var reads = requests.Where(r => r.StartsWith("GET ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2 * partitions, reads.Count(r => r.Contains(app.TablePrefix + "Due()", StringComparison.Ordinal)));
        var recordReads = reads.Where(r => r.Contains(app.TablePrefix + "Transactions(", StringComparison.Ordinal)).ToList();
        Assert.Equal(Due, recordReads.Count);
        Assert.All(recordReads, r => Assert.Contains("RowKey='record'", Uri.UnescapeDataString(r)));
        Assert.DoesNotContain(reads, r => r.Contains(app.TablePrefix + "Transactions()", StringComparison.Ordinal));
        // And one query of the held list (the money controls' expiry and gauges), which holds only held payouts: none here.
        Assert.Single(reads, r => r.Contains(app.TablePrefix + "Controls()", StringComparison.Ordinal));
        Assert.Equal(1 + 2 * partitions + Due + 1, reads.Count);

        // Each due transaction was asked about exactly once; the others were left alone.
        var queries = sandbox.Ledger.Requests.Where(r => r.Endpoint == "/api/queryPayOutResult").ToList();
        Assert.Equal(Due, queries.Count);
        Assert.True(dueTradeNos.SetEquals(queries.Select(q => q.TradeNo!)), "the queries are exactly the due transactions");
        // Still pending, so each is due again later: the poll moved its entry instead of dropping it.
        Assert.Empty((await app.UncountedDue.GetDueAsync(
            app.Clock.GetUtcNow() - TimeSpan.FromMinutes(1),
            1_000,
            CancellationToken.None)).Entries);
        Assert.Equal(Due + NotYetDue, (await app.UncountedDue.GetDueAsync(
            app.Clock.GetUtcNow() + TimeSpan.FromDays(1),
            1_000,
            CancellationToken.None)).Entries.Count);
    }

    private static TransactionRecord Record(string tradeNo, TransactionState state, DateTimeOffset now) => new()
    {
        TradeNo = tradeNo,
        Kind = TransactionKind.Payout,
        State = state,
        Amount = 120,
        Mobile = TestMobiles.Success,
        CreatedAt = now,
        UpdatedAt = now,
        SubmittedAt = now,
        FinalAt = state.IsFinal() ? now : null,
        PayproStatus = state switch
        {
            TransactionState.Succeeded => "0000",
            TransactionState.Failed => "00029",
            _ => "0015",
        },
    };
}
