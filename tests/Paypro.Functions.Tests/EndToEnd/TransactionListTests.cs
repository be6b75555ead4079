using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Azure.Data.Tables;
using Paypro.Functions.Storage;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>Listings for reconciliation (by creation time, JSON pages or CSV) and follow-up (the pending list).</summary>
public sealed class TransactionListTests(AzuriteFixture azurite) : PayproAppTest(azurite)
{
    // Mobiles ending in 13 stay processing for a day; the others finish at once.
    protected override void ConfigureSandbox(Paypro.Sandbox.SandboxOptions options) => options.LongProcessingDelay = TimeSpan.FromDays(1);

    [Fact]
    public async Task A_range_lists_its_transactions_by_kind_and_state_in_pages_and_as_csv()
    {
        var from = App.Clock.GetUtcNow().AddSeconds(-1);
        var paid = TestTradeNos.New("LSA");
        var failed = TestTradeNos.New("LSB");
        var payin = TestTradeNos.New("LSC");
        await App.EnqueuePayoutAsync(paid, amount: 150, mobile: TestMobiles.Success);
        await App.EnqueuePayoutAsync(failed, amount: 160, mobile: TestMobiles.Rejected);
        await App.EnqueuePayinAsync(payin, amount: 170);
        await App.WaitForStateAsync(paid, TransactionState.Succeeded);
        await App.WaitForStateAsync(failed, TransactionState.Failed);
        await App.WaitForStateAsync(payin, TransactionState.Succeeded);
        var range =
            $"from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(App.Clock.GetUtcNow().AddSeconds(1).ToString("O"))}";

        var all = await ListAsync(range);
        var payouts = await ListAsync(range + "&kind=payout");
        var succeededPayouts = await ListAsync(range + "&kind=payout&state=succeeded");
        var firstPage = await ListAsync(range + "&pageSize=2");
        var secondPage = await ListAsync(
            range + "&pageSize=2&continuationToken=" + Uri.EscapeDataString(firstPage.GetProperty("continuationToken").GetString()!));

        Assert.Equal(new[] { paid, failed, payin }.Order(StringComparer.Ordinal), TradeNos(all).Order(StringComparer.Ordinal));
        Assert.Equal(new[] { paid, failed }.Order(StringComparer.Ordinal), TradeNos(payouts).Order(StringComparer.Ordinal));
        Assert.Equal([paid], TradeNos(succeededPayouts));
        Assert.Equal(2, TradeNos(firstPage).Count);
        Assert.Equal([.. TradeNos(firstPage), .. TradeNos(secondPage)], TradeNos(all));
        var item = all.GetProperty("items").EnumerateArray().First(i => i.GetProperty("tradeNo").GetString() == failed);
        Assert.Equal("failed", item.GetProperty("state").GetString());
        Assert.Equal(160, item.GetProperty("amount").GetInt64());
        Assert.Equal("254******611", item.GetProperty("mobile").GetString());

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/transactions?{range}&code={PayproAppHarness.FunctionKey}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var csv = await App.Http.SendAsync(request);
        var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("tradeNo,kind,state,final,amount,mobile,createdAt", lines[0], StringComparison.Ordinal);
        // Oldest first, as the JSON listing orders them.
        Assert.Equal(TradeNos(all), lines.Skip(1).Select(line => line.Split(',')[0]));
        Assert.Contains(lines, line => line.StartsWith($"{paid},payout,succeeded,true,150,254******600,", StringComparison.Ordinal));
        Assert.DoesNotContain(TestMobiles.Success, string.Join('\n', lines), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("to=2026-11-25T00:00:00Z", "from is required")]
    [InlineData("from=yesterday&to=2026-11-25T00:00:00Z", "from is not an ISO 8601 time")]
    [InlineData("from=2026-11-25T00:00:00Z&to=2026-11-24T00:00:00Z", "to must be later than from")]
    [InlineData("from=2026-11-24T00:00:00Z&to=2026-11-25T00:00:00Z&kind=refund", "kind must be payout or payin")]
    [InlineData("from=2026-11-24T00:00:00Z&to=2026-11-25T00:00:00Z&state=lost", "state must be one of")]
    [InlineData("from=2026-11-24T00:00:00Z&to=2026-11-25T00:00:00Z&pageSize=5000", "pageSize must be")]
    public async Task A_bad_query_gets_400_with_the_reason(string query, string reason)
    {
        using var response = await App.Http.GetAsync($"/api/transactions?{query}&code={PayproAppHarness.FunctionKey}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_days_listing_over_10000_older_transactions_reads_only_that_days_index_rows()
    {
        // 10,000 index rows of earlier days, written in batches, each batch within one index partition.
        var due = App.Tables.GetTableClient(App.TablePrefix + "Due");
        var older = App.Clock.GetUtcNow().AddDays(-30);
        var rows = Enumerable.Range(0, 10_000)
            .Select(i => CreationIndex.Row(
                App.UncountedPartitions.PartitionOf($"OLD{i:D6}"),
                $"OLD{i:D6}",
                TransactionKind.Payout,
                older.AddSeconds(i)));
        foreach (var chunk in rows.GroupBy(row => row.PartitionKey).SelectMany(g => g.Chunk(100)))
        {
            await due.SubmitTransactionAsync(chunk.Select(row => new TableTransactionAction(TableTransactionActionType.Add, row)));
        }
        var from = App.Clock.GetUtcNow().AddSeconds(-1);
        var today = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var tradeNo = TestTradeNos.New($"LD{i}");
            today.Add(tradeNo);
            await App.EnqueuePayoutAsync(tradeNo);
        }
        foreach (var tradeNo in today)
        {
            await App.WaitForStateAsync(tradeNo, TransactionState.Succeeded);
        }
        // Paypro's callback can overtake the create call's answer: the submit invocation then still reads the record once
        // more after it is succeeded. Every submit has finished before the listing is counted.
        await Eventually.UntilAsync(
            () => today.All(t => App.Logs.GetSnapshot().Any(r => r.Id.Name == nameof(FunctionsLog.CreateCallAnswered)
                && r.GetStructuredStateValue("TradeNo") == t)),
            "every submit invocation has finished");
        App.Storage.Reset();

        var page = await ListAsync(
            $"from={Uri.EscapeDataString(from.ToString("O"))}"
                + $"&to={Uri.EscapeDataString(App.Clock.GetUtcNow().AddSeconds(1).ToString("O"))}");

        Assert.Equal(today.Order(StringComparer.Ordinal), TradeNos(page).Order(StringComparer.Ordinal));
        // The day's 5 index rows and their 5 records; none of the 10,000 older rows.
        Assert.Equal(10, App.Storage.EntitiesRead);
    }

    [Fact]
    public async Task The_pending_list_shows_open_transactions_oldest_first_with_their_age()
    {
        var processing = TestTradeNos.New("LPA");
        var later = TestTradeNos.New("LPB");
        var done = TestTradeNos.New("LPC");
        await App.EnqueuePayoutAsync(processing, mobile: TestMobiles.LongProcessing);
        await App.WaitForStateAsync(processing, TransactionState.Submitted);
        await App.EnqueuePayoutAsync(later, mobile: TestMobiles.LongProcessing);
        await App.EnqueuePayoutAsync(done);
        await App.WaitForStateAsync(later, TransactionState.Submitted);
        await App.WaitForStateAsync(done, TransactionState.Succeeded);

        using var response = await App.GetApiAsync("transactions/pending");
        var pending = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var items = pending.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([processing, later], items.Select(i => i.GetProperty("tradeNo").GetString()));
        Assert.All(items, i => Assert.False(i.GetProperty("stuck").GetBoolean()));
        Assert.True(items[0].GetProperty("ageSeconds").GetInt64() >= items[1].GetProperty("ageSeconds").GetInt64());
        Assert.False(pending.GetProperty("truncated").GetBoolean());
    }

    private async Task<JsonElement> ListAsync(string query)
    {
        using var response = await App.Http.GetAsync($"/api/transactions?{query}&code={PayproAppHarness.FunctionKey}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"listing answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static List<string> TradeNos(JsonElement page) =>
        page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("tradeNo").GetString()!).ToList();
}
