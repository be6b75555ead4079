using System.Net;
using System.Text.Json;
using Paypro.Functions.Http;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>
/// Callbacks cannot swell what the operator's view of a real transaction reads: refused ones are recorded outside its
/// partition, and the view pages its history, reading at most a fixed number of entities per answer.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class OperatorHistoryPagingTests(AzuriteFixture azurite)
{
    private const int Forged = 5_000;
    private const int Hints = 250;

    /// <summary>The record, and at most one page plus one of each of the history's two kinds of rows.</summary>
    private const int MaxEntitiesPerView = 1 + 2 * (OperatorQueries.HistoryPageSize + 1);

    [Fact]
    public async Task
        After_5000_forged_callbacks_and_250_hints_naming_one_payout_each_view_of_it_reads_at_most_203_entities_and_pages_the_rest()
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        var tradeNo = TestTradeNos.New("PG");
        await app.EnqueuePayoutAsync(tradeNo);
        await app.WaitForStateAsync(tradeNo, TransactionState.Succeeded);

        // Forged: signed with another secret, refused with 401, recorded in _refused. Hints: unsigned, recorded in its history.
        await Parallel.ForEachAsync(Enumerable.Range(0, Forged), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, token) =>
        {
            using var response = await app.PostSignedNotifyAsync(
                NotifyBodies.Fields(tradeNo, "00029", message: $"forged {i}"),
                secret: "not-the-app-secret");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        });
        await Parallel.ForEachAsync(Enumerable.Range(0, Hints), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, token) =>
        {
            using var response = await app.PostNotifyAsync(
                NotifyBodies.Json(NotifyBodies.Fields(tradeNo, "0000", message: $"hint {i}"), sign: null));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        });
        var whole = await app.UncountedStore.GetHistoryAsync(tradeNo, CancellationToken.None);
        Assert.True(whole.Count > Hints, $"{whole.Count} history entries");
        Assert.DoesNotContain(whole, h => h.Detail?.Contains("forged", StringComparison.Ordinal) == true);

        var seen = new List<JsonElement>();
        string? next = null;
        var pages = 0;
        do
        {
            app.Storage.Reset();
            using var response = await ViewAsync(app, tradeNo, next);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            Assert.True(app.Storage.EntitiesRead <= MaxEntitiesPerView, $"page {pages + 1} read {app.Storage.EntitiesRead} entities");
            using var view = JsonDocument.Parse(text);
            var history = view.RootElement.GetProperty("history").EnumerateArray().Select(e => e.Clone()).ToList();
            Assert.InRange(history.Count, 1, OperatorQueries.HistoryPageSize);
            seen.AddRange(history);
            next = view.RootElement.TryGetProperty("historyNext", out var token) ? token.GetString() : null;
            pages++;
        }
        while (next is not null);

        // Every entry exactly once, oldest first, across the pages.
        Assert.True(pages >= 3, $"{pages} pages");
        Assert.Equal(whole.Count, seen.Count);
        Assert.Equal(
            whole.Select(h => (h.Category, h.Verdict, h.Detail)),
            seen.Select(h => (
                h.GetProperty("category").GetString()!,
                h.GetProperty("verdict").GetString()!,
                h.TryGetProperty("detail", out var detail) ? detail.GetString() : null)));
        var times = seen.Select(h => h.GetProperty("at").GetDateTimeOffset()).ToList();
        Assert.Equal(times.Order(), times);
    }

    [Theory]
    [InlineData("not base64 !")]
    [InlineData("AAAA")]
    public async Task A_history_token_that_is_not_one_the_app_gave_is_400(string token)
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox);
        var tradeNo = TestTradeNos.New("PT");
        await app.EnqueuePayoutAsync(tradeNo);
        await app.WaitForStateAsync(tradeNo, TransactionState.Succeeded);

        using var response = await ViewAsync(app, tradeNo, token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("historyAfter", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static Task<HttpResponseMessage> ViewAsync(PayproAppHarness app, string tradeNo, string? historyAfter) =>
        app.Http.GetAsync($"/api/payouts/{tradeNo}?code={PayproAppHarness.FunctionKey}"
            + (historyAfter is null ? "" : $"&historyAfter={Uri.EscapeDataString(historyAfter)}"));
}
