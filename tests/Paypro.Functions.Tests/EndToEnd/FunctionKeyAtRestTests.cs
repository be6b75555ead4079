using System.Text.Json;
using Azure.Data.Tables;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>
/// The notify URL Paypro calls holds the app's function key. Whoever reads a table, a queue, an operator answer or the log
/// must not find that key there: it is sent to Paypro with each create call, and kept nowhere.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class FunctionKeyAtRestTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task After_a_full_run_no_table_queue_operator_answer_or_log_line_holds_the_function_key()
    {
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(
            azurite,
            sandbox,
            new Dictionary<string, string?> { ["Submit:HttpEnabled"] = "true" });
        var overQueue = TestTradeNos.New("KQ");
        var overHttp = TestTradeNos.New("KH");
        var payin = TestTradeNos.New("KP");
        var polled = TestTradeNos.New("KL");

        // A payout by the queue and one by the HTTP submit, both on the app's notify URL; a payin; one settled by polling.
        await app.EnqueuePayoutAsync(overQueue);
        using (var accepted = await app.Http.PostAsync($"/api/payouts?code={PayproAppHarness.FunctionKey}",
            new StringContent(PayproAppHarness.PayoutMessage(overHttp), System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.Equal(System.Net.HttpStatusCode.Accepted, accepted.StatusCode);
        }
        await app.EnqueuePayinAsync(payin);
        sandbox.DropCallbacks(TransactionKind.Payout, polled);
        await app.EnqueuePayoutAsync(polled);
        foreach (var tradeNo in new[] { overQueue, overHttp, payin })
        {
            await app.WaitForStateAsync(tradeNo, TransactionState.Succeeded);
        }
        await app.PollUntilAsync(polled, TransactionState.Succeeded);
        // Paypro was given the URL with the key: that is where its callbacks went.
        Assert.Contains(sandbox.Ledger.Requests, r => r.TradeNo == overQueue && r.IsCreate);

        var found = new List<string>();
        await foreach (var table in app.Tables.QueryAsync(t => t.Name.CompareTo(app.TablePrefix) >= 0
            && t.Name.CompareTo(app.TablePrefix + "~") < 0))
        {
            await foreach (var entity in app.Tables.GetTableClient(table.Name).QueryAsync<TableEntity>())
            {
                Scan(
                    $"table {table.Name} {entity.PartitionKey}/{entity.RowKey}",
                    string.Join('\n', entity.Select(p => p.Value?.ToString())),
                    found);
            }
        }
        foreach (var queue in new[]
        {
            app.PayoutsQueue,
            app.PayinsQueue,
            app.EventsQueue,
            app.PayoutsQueue + "-poison",
            app.PayinsQueue + "-poison",
        })
        {
            foreach (var message in await app.PeekAsync(queue))
            {
                Scan($"queue {queue}", message, found);
            }
        }
        foreach (var message in await app.EventsAsync())
        {
            Scan("events queue (received)", message.GetRawText(), found);
        }
        foreach (var path in new[]
        {
            $"payouts/{overQueue}",
            $"payouts/{overHttp}",
            $"payins/{payin}",
            $"payouts/{polled}",
            "transactions/pending",
        })
        {
            using var response = await app.GetApiAsync(path);
            Assert.True(response.IsSuccessStatusCode, $"GET {path}: {response.StatusCode}");
            Scan($"GET /api/{path}", await response.Content.ReadAsStringAsync(), found);
        }
        foreach (var record in app.Logs.GetSnapshot())
        {
            Scan(
                $"log {record.Category}",
                record.Message + "\n" + JsonSerializer.Serialize(record.StructuredState?.Select(p => p.Value)) + "\n" + record.Exception,
                found);
        }

        Assert.True(found.Count == 0, "The function key is kept at rest in: " + string.Join("; ", found.Distinct().Take(10)));
    }

    private static void Scan(string where, string text, List<string> found)
    {
        if (text.Contains(PayproAppHarness.FunctionKey, StringComparison.Ordinal))
        {
            found.Add(where);
        }
    }
}
