using System.Net;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>
/// The due index and the creation index are spread over <c>Storage:IndexPartitions</c> partitions; changing the count
/// strands no entry: a transaction keeps the partition it was created in, and every reader covers every partition
/// ever used.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class IndexPartitionTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Index_rows_spread_over_the_partitions_and_lowering_then_raising_the_count_strands_none()
    {
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(365));
        var created = sandbox.Time.GetUtcNow().AddSeconds(-1);
        var first = Enumerable.Range(0, 12).Select(i => TestTradeNos.New($"IP{i:D2}")).ToList();
        string id;
        await using (var four = await PayproAppHarness.StartAsync(azurite, sandbox, Settings(4)))
        {
            id = four.Id;
            foreach (var tradeNo in first)
            {
                await four.EnqueuePayoutAsync(tradeNo, mobile: TestMobiles.LongProcessing);
            }
            foreach (var tradeNo in first)
            {
                await four.WaitForStateAsync(tradeNo, TransactionState.Submitted);
            }
            var partitions = (await four.UncountedDue.GetScheduledAsync(100, CancellationToken.None))
                .Select(e => e.Partition)
                .Distinct()
                .ToList();
            Assert.True(partitions.Count > 1, $"12 transactions all in {string.Join(", ", partitions)}");
            Assert.All(partitions, p => Assert.Contains(p, new[] { "ix000", "ix001", "ix002", "ix003" }));
            // A poll records the count the app runs with.
            await four.PollAsync();
        }

        // Lowered to 2: the entries in ix002 and ix003 are still polled, listed and taken out when final.
        var second = Enumerable.Range(0, 4).Select(i => TestTradeNos.New($"IQ{i:D2}")).ToList();
        await using (var two = await PayproAppHarness.StartAsync(azurite, sandbox, Settings(2), id: id))
        {
            foreach (var tradeNo in second)
            {
                await two.EnqueuePayoutAsync(tradeNo, mobile: TestMobiles.LongProcessing);
                await two.WaitForStateAsync(tradeNo, TransactionState.Submitted);
            }
            Assert.All(
                second,
                tradeNo => Assert.Contains(two.GetAsync(tradeNo).GetAwaiter().GetResult()!.IndexPartition, new[] { "ix000", "ix001" }));

            var queriesBefore = sandbox.Ledger.Requests.Count(r => r.Endpoint == "/api/queryPayOutResult");
            two.Clock.Skip(TimeSpan.FromMinutes(2));
            await two.PollAsync();
            var queried = sandbox.Ledger.Requests
                .Where(r => r.Endpoint == "/api/queryPayOutResult")
                .Skip(queriesBefore)
                .Select(r => r.TradeNo)
                .ToHashSet();
            Assert.True(first.Concat(second).All(queried.Contains), "every pending transaction was polled, whatever partition it is in");

            var listed = await ListAsync(two, created);
            Assert.Equal(first.Concat(second).Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));

            foreach (var tradeNo in first.Take(6))
            {
                using var response = await two.PostSignedNotifyAsync(NotifyBodies.Fields(tradeNo, "0000"));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
            Assert.DoesNotContain(
                await two.UncountedDue.GetScheduledAsync(100, CancellationToken.None),
                e => first.Take(6).Contains(e.TradeNo));
        }

        // Raised to 16: the rest settle too, and the listing still finds them all.
        await using var sixteen = await PayproAppHarness.StartAsync(azurite, sandbox, Settings(16), id: id);
        foreach (var tradeNo in first.Skip(6).Concat(second))
        {
            using var response = await sixteen.PostSignedNotifyAsync(NotifyBodies.Fields(tradeNo, "0000"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Empty(await sixteen.UncountedDue.GetScheduledAsync(100, CancellationToken.None));
        Assert.Equal(first.Count + second.Count, (await ListAsync(sixteen, created)).Count);
    }

    private static Dictionary<string, string?> Settings(int partitions) => new()
    {
        ["Storage:IndexPartitions"] = partitions.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The creation index from <paramref name="from"/> on, two rows a page, through the app's own index.</summary>
    private static async Task<List<string>> ListAsync(PayproAppHarness app, DateTimeOffset from)
    {
        var index = (ICreationIndex)app.App.Services.GetService(typeof(ICreationIndex))!;
        var tradeNos = new List<string>();
        string? token = null;
        do
        {
            var page = await index.ListCreatedAsync(from, from.AddDays(1), null, 2, token, CancellationToken.None);
            Assert.True(page.Entries.Count <= 2);
            tradeNos.AddRange(page.Entries.Select(e => e.TradeNo));
            token = page.ContinuationToken;
        }
        while (token is not null);
        return tradeNos;
    }
}
