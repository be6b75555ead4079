using System.Text.Json;
using Paypro.Functions.Http;
using Paypro.Functions.Operations;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.Operations;

/// <summary>The operator's views share their first fields (<see cref="TransactionHeading"/>); each view's JSON keeps its order.</summary>
public sealed class OperatorViewsTests
{
    private static readonly TransactionRecord Record = new()
    {
        TradeNo = "T-1",
        Kind = TransactionKind.Payout,
        State = TransactionState.Succeeded,
        Amount = 150,
        Mobile = "254712345678",
    };

    [Fact]
    public void A_transaction_view_writes_its_fields_in_order()
    {
        Assert.Equal(
            [
                "tradeNo", "kind", "state", "final", "amount", "mobile", "remark", "reason", "notSent", "serialNumber",
                "platFormTradeNo", "payproStatus", "payproMessage", "paidAmount", "successTime", "mpesaReceiptNumber", "createdAt",
                "updatedAt", "submittedAt", "finalAt", "stuckAt", "anomalies", "metadata", "traceParent", "history", "historyNext",
                "heldAt", "releasedAt",
            ],
            Names(JsonSerializer.SerializeToElement(TransactionView.From(Record, null), HttpOptions())));
    }

    [Fact]
    public void A_list_item_writes_its_fields_in_order()
    {
        Assert.Equal(
            [
                "tradeNo", "kind", "state", "final", "amount", "mobile", "createdAt", "finalAt", "payproStatus", "platFormTradeNo",
                "mpesaReceiptNumber", "notSent", "reason",
            ],
            Names(JsonSerializer.SerializeToElement(TransactionListItem.From(Record), HttpOptions())));
    }

    [Fact]
    public void The_shared_fields_map_the_record_alike()
    {
        var view = JsonSerializer.SerializeToElement(TransactionView.From(Record, null), HttpOptions());
        var item = JsonSerializer.SerializeToElement(TransactionListItem.From(Record), HttpOptions());

        Assert.Equal("""{"tradeNo":"T-1","kind":"payout","state":"succeeded","final":true,"amount":150,"mobile":"254******678"}""",
            Heading(view));
        Assert.Equal(Heading(view), Heading(item));
    }

    // The options the HTTP answers are written with (nulls included), with the app's source-generated shapes.
    private static JsonSerializerOptions HttpOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.TypeInfoResolverChain.Insert(0, FunctionsJsonContext.Default);
        return options;
    }

    private static List<string> Names(JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name)];

    private static string Heading(JsonElement element) =>
        "{" + string.Join(',', element.EnumerateObject().Take(6).Select(p => JsonSerializer.Serialize(p.Name) + ":" + p.Value.GetRawText()))
        + "}";
}
