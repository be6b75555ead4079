using Azure.Data.Tables;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Paypro.Functions.Functions;
using Paypro.Functions.Operations;
using Paypro.Functions.Storage;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>Audit retention on Azurite: old rows go in bounded batches, kept rows are never read in bulk.</summary>
public sealed class AuditRetentionTests(AzuriteFixture azurite) : PayproAppTest(azurite)
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Audit:RetentionDays"] = "400",
        ["Audit:MaxDeletesPerRun"] = "150",
    };

    [Fact]
    public async Task Rows_older_than_the_retention_go_in_bounded_runs_and_rows_kept_are_never_read()
    {
        var now = App.Clock.GetUtcNow();
        var old = now.AddDays(-500);
        // 40 old transactions with 5 old audit rows each (200), one of them also with a recent row; 30 recent
        // transactions with 5 rows each; 20 old and 10 recent unmatched rows, 10 old refused callbacks. Records are kept either way.
        var oldTradeNos = Enumerable.Range(0, 40).Select(i => $"AROLD{i:D3}").ToList();
        var recentTradeNos = Enumerable.Range(0, 30).Select(i => $"ARNEW{i:D3}").ToList();
        await SeedAsync(oldTradeNos, old, rowsEach: 5);
        await SeedAsync(recentTradeNos, now.AddDays(-10), rowsEach: 5);
        await AddAuditAsync(oldTradeNos[0], now.AddDays(-1), "late callback");
        for (var i = 0; i < 20; i++)
        {
            await AddAuditAsync(IOperationsStore.Unmatched, old.AddMinutes(i), "old unmatched");
        }
        for (var i = 0; i < 10; i++)
        {
            await AddAuditAsync(IOperationsStore.Unmatched, now.AddMinutes(-i - 1), "recent unmatched");
        }
        for (var i = 0; i < 10; i++)
        {
            await AddAuditAsync(IOperationsStore.Refused, old.AddMinutes(i), "old refused");
        }
        // The reasons of poisoned messages: 6 old, 2 recent (keyed by queue and message id, not by time).
        var audit = App.Tables.GetTableClient(App.TablePrefix + "Audit");
        for (var i = 0; i < 8; i++)
        {
            await audit.AddEntityAsync(new TableEntity(OperationsStore.PoisonPartition, $"payouts-poison|m{i}")
            {
                ["At"] = i < 6 ? old.AddMinutes(i) : now.AddMinutes(-i),
                ["Category"] = "message",
                ["Verdict"] = "poisoned",
                ["Detail"] = "seeded",
            });
        }

        App.Storage.Reset();
        await Purge();
        var firstRunRead = App.Storage.EntitiesRead;
        var afterFirst = await CountOldAsync(oldTradeNos, old);

        Assert.InRange(afterFirst, 1, 236 - 150);
        // Besides what it deletes, the index rows and the cursor: one kept row, the late one, to schedule its transaction's revisit.
        Assert.True(firstRunRead <= 150 + 40 + 1 + 1, $"the first run read {firstRunRead} entities for 150 deletions");

        App.Storage.Reset();
        await Purge();
        var secondRunRead = App.Storage.EntitiesRead;

        Assert.Equal(0, await CountOldAsync(oldTradeNos, old));
        // 86 rows left to delete, the old transactions' index rows, the cursor, and at most the late row: the other kept rows never.
        Assert.True(secondRunRead <= 86 + 40 + 1 + 1, $"the second run read {secondRunRead} entities for 86 deletions");
        Assert.Equal(30 * 5, await CountAsync(recentTradeNos));
        Assert.Single(await RowsAsync(oldTradeNos[0]));
        Assert.Equal(10, (await RowsAsync(IOperationsStore.Unmatched)).Count);
        Assert.Equal(2, await PoisonReasonsAsync());

        App.Storage.Reset();
        await Purge();
        Assert.True(App.Storage.EntitiesRead <= 1, $"a run with nothing to delete read {App.Storage.EntitiesRead} entities");
        Assert.All(oldTradeNos.Concat(recentTradeNos), tradeNo => Assert.NotNull(App.GetAsync(tradeNo).GetAwaiter().GetResult()));

        // The row written 499 days after its transaction's creation goes too, once it is past the retention itself.
        App.Clock.Skip(TimeSpan.FromDays(400));
        await Purge();
        Assert.Empty(await RowsAsync(oldTradeNos[0]));
        Assert.Equal(0, await PoisonReasonsAsync());
        Assert.Empty(await RowsAsync("_revisit"));
    }

    private async Task<int> PoisonReasonsAsync() => (await RowsAsync(OperationsStore.PoisonPartition)).Count;

    [Fact]
    public async Task What_reconciliation_kept_of_a_day_goes_once_the_day_is_past_the_retention()
    {
        var days = App.App.Services.GetRequiredService<IReconciliationStore>();
        var now = App.Clock.GetUtcNow();
        var old = KenyaTime.DayOf(now).AddDays(-500);
        var recent = KenyaTime.DayOf(now).AddDays(-10);
        foreach (var day in new[] { old, recent })
        {
            await days.SaveDayAsync(ReconciliationProgress.Start(day, 1, now), CancellationToken.None);
            await days.SaveRowsAsync(
                day,
                [.. Enumerable.Range(0, 120).Select(i => new ReconciliationRow(
                    $"RC{i:D4}",
                    TransactionKind.Payout,
                    1,
                    ReconcileOutcome.Agreed,
                    TransactionState.Succeeded,
                    120,
                    [],
                    false,
                    "0000",
                    "120.0000",
                    null,
                    null,
                    now))],
                CancellationToken.None);
        }

        await Purge();

        Assert.Null(await days.GetDayAsync(old, CancellationToken.None));
        Assert.Equal(0, await CountRowsAsync(days, old));
        Assert.NotNull(await days.GetDayAsync(recent, CancellationToken.None));
        Assert.Equal(120, await CountRowsAsync(days, recent));
    }

    [Fact]
    public async Task The_money_controls_counts_of_a_day_go_once_the_day_is_past_the_retention()
    {
        var controls = App.App.Services.GetRequiredService<IControlsStore>();
        var now = App.Clock.GetUtcNow();
        var old = PayoutControls.KenyaDay(now.AddDays(-500));
        var recent = PayoutControls.KenyaDay(now.AddDays(-10));
        foreach (var day in new[] { old, recent })
        {
            await controls.UpdateAsync(
                PayoutControls.PoolPartition(day),
                "pool",
                c => c with { Used = new Tally(1_000, 10) },
                CancellationToken.None);
            for (var share = 0; share < 3; share++)
            {
                await controls.UpdateAsync(
                    PayoutControls.DayPartition(day, share),
                    "total",
                    c => c with { Used = new Tally(100, 1) },
                    CancellationToken.None);
            }
            var (partition, row) = PayoutControls.MobileKey(day, "254712345678");
            await controls.UpdateAsync(partition, row, c => c with { Used = new Tally(100, 1) }, CancellationToken.None);
        }

        await Purge();

        Assert.Empty(await controls.GetCountsAsync("day-" + old, CancellationToken.None));
        Assert.Empty(await controls.GetCountsAsync("mobile-" + old, CancellationToken.None));
        Assert.Equal(4, (await controls.GetCountsAsync("day-" + recent, CancellationToken.None)).Count);
        Assert.Single(await controls.GetCountsAsync("mobile-" + recent, CancellationToken.None));
    }

    private static async Task<int> CountRowsAsync(IReconciliationStore days, DateOnly day)
    {
        var count = 0;
        await foreach (var _ in days.ListRowsAsync(day, 1, outcome: null, CancellationToken.None))
        {
            count++;
        }
        return count;
    }

    private Task Purge() =>
        ActivatorUtilities.CreateInstance<PurgeAuditTrail>(App.App.Services).Run(new TimerInfo(), CancellationToken.None);

    private async Task SeedAsync(IReadOnlyList<string> tradeNos, DateTimeOffset createdAt, int rowsEach)
    {
        var due = App.Tables.GetTableClient(App.TablePrefix + "Due");
        var transactions = App.Tables.GetTableClient(App.TablePrefix + "Transactions");
        for (var i = 0; i < tradeNos.Count; i++)
        {
            var tradeNo = tradeNos[i];
            var at = createdAt.AddSeconds(i);
            await due.AddEntityAsync(CreationIndex.Row(App.UncountedPartitions.PartitionOf(tradeNo), tradeNo, TransactionKind.Payout, at));
            await transactions.AddEntityAsync(new TableEntity(tradeNo, TransactionStore.RecordRowKey)
            {
                ["Kind"] = "payout",
                ["State"] = "succeeded",
                ["Amount"] = 120L,
                ["CreatedAt"] = at,
                ["UpdatedAt"] = at,
            });
            await transactions.SubmitTransactionAsync(Enumerable.Range(0, rowsEach)
                .Select(r => new TableTransactionAction(TableTransactionActionType.Add, AuditRow(tradeNo, at.AddMinutes(r), "seeded"))));
        }
    }

    private Task AddAuditAsync(string partition, DateTimeOffset at, string detail) =>
        TableOf(partition).AddEntityAsync(AuditRow(partition, at, detail));

    /// <summary>
    /// A transaction's audit rows are in its partition of the transactions table (row key <c>audit|</c> + time); the
    /// callbacks that belong to no transaction in partitions of the audit table whose names start with '_'.
    /// </summary>
    private static bool IsAside(string partition) => partition.StartsWith('_');

    private TableClient TableOf(string partition) =>
        App.Tables.GetTableClient(App.TablePrefix + (IsAside(partition) ? "Audit" : "Transactions"));

    private static TableEntity AuditRow(string partition, DateTimeOffset at, string detail) =>
        new(partition, $"{(IsAside(partition) ? "" : "audit|")}{at.UtcTicks:D19}-{Guid.NewGuid():N}")
        {
            ["At"] = at,
            ["Category"] = "callback",
            ["Verdict"] = "applied",
            ["Detail"] = detail,
        };

    private async Task<int> CountOldAsync(IEnumerable<string> tradeNos, DateTimeOffset old)
    {
        var count = 0;
        foreach (var partition in tradeNos.Append(IOperationsStore.Unmatched).Append(IOperationsStore.Refused))
        {
            count += (await RowsAsync(partition)).Count(row => row.GetDateTimeOffset("At") < old.AddDays(1));
        }
        return count;
    }

    private async Task<int> CountAsync(IEnumerable<string> partitions)
    {
        var count = 0;
        foreach (var partition in partitions)
        {
            count += (await RowsAsync(partition)).Count;
        }
        return count;
    }

    private async Task<List<TableEntity>> RowsAsync(string partition)
    {
        var rows = new List<TableEntity>();
        var filter = IsAside(partition)
            ? TableClient.CreateQueryFilter($"PartitionKey eq {partition}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {"audit|"} and RowKey lt {"audit}"}");
        await foreach (var row in TableOf(partition).QueryAsync<TableEntity>(filter))
        {
            rows.Add(row);
        }
        return rows;
    }
}
