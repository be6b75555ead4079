using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Paypro.Functions.Storage;
using Paypro.Functions.Transactions;

namespace Paypro.Load;

/// <summary>
/// The baselines in this process: a bare ASP.NET Core endpoint on the same Azurite, with the same entities. Its notify
/// is <see cref="BareNotify"/>: three table round trips without an events queue, the four operations of the app's
/// finalising notify with one. Its submit is the submit path's storage, bare.
/// </summary>
public sealed class BaselineServer : IAsyncDisposable
{
    public const string Path = "/" + BareNotify.Route;

    /// <summary>
    /// The submit path's storage, bare: for the tradeNo in the body, the record read (absent), the due entry and the
    /// creation row in one batch in its index partition, the record inserted with its revision, then replaced with the
    /// next. No queue, no validation, no call to Paypro.
    /// </summary>
    public const string SubmitPath = "/baseline/submit";

    private readonly WebApplication _app;

    private BaselineServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<BaselineServer> StartAsync(
        Azurite azurite,
        string tablePrefix,
        string? eventsQueue,
        CancellationToken cancellationToken)
    {
        var app = Loopback.CreateServer();

        // As the app's storage clients are by default: no request log (BareNotify.ClientOptions).
        var tables = new TableServiceClient(azurite.ConnectionString, BareNotify.ClientOptions(new TableClientOptions()));
        var transactions = tables.GetTableClient(tablePrefix + "Transactions");
        var audit = tables.GetTableClient(tablePrefix + "Audit");
        var due = tables.GetTableClient(tablePrefix + "Due");
        var events = eventsQueue is null
            ? null
            : new QueueClient(
                azurite.ConnectionString,
                eventsQueue,
                BareNotify.ClientOptions(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }));
        if (events is not null)
        {
            await events.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }
        var bare = new BareNotify(transactions, audit, due, events);
        app.MapPost(Path, async (HttpContext context) =>
        {
            var body = await BareNotify.ReadBodyAsync(context.Request.Body, context.RequestAborted);
            var caller = context.Connection.RemoteIpAddress?.ToString();
            context.Response.StatusCode = await bare.HandleAsync(body, caller, context.RequestAborted);
            if (context.Response.StatusCode == StatusCodes.Status200OK)
            {
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("OK", context.RequestAborted);
            }
        });
        var partitions = new IndexPartitions(tables, Options.Create(new StorageOptions { TablePrefix = tablePrefix }));
        app.MapPost(SubmitPath, (HttpContext context) => SubmitAsync(context, transactions, due, partitions));
        await app.StartAsync(cancellationToken);
        return new BaselineServer(app, new Uri(app.Urls.Single()));
    }

    private static async Task SubmitAsync(HttpContext context, TableClient transactions, TableClient due, IndexPartitions partitions)
    {
        var cancellationToken = context.RequestAborted;
        var tradeNo = context.Request.Query["tradeNo"].ToString();
        var now = DateTimeOffset.UtcNow;
        await transactions.GetEntityIfExistsAsync<TableEntity>(tradeNo, "record", cancellationToken: cancellationToken);
        var (_, dueRow, createdRow) = DueIndex.NewTransactionRows(
            partitions.PartitionOf(tradeNo),
            tradeNo,
            TransactionKind.Payout,
            now,
            now.AddHours(1));
        await due.SubmitTransactionAsync(
        [
            new TableTransactionAction(TableTransactionActionType.UpsertReplace, dueRow),
            new TableTransactionAction(TableTransactionActionType.UpsertReplace, createdRow),
        ], cancellationToken);
        var record = Workload.SubmittedRecord(tradeNo, now);
        record.State = TransactionState.Submitting;
        var inserted = await transactions.SubmitTransactionAsync(
        [
            new TableTransactionAction(TableTransactionActionType.Add, TransactionStore.ToEntity(record, 1)),
            new TableTransactionAction(
                TableTransactionActionType.Add,
                new TableEntity(tradeNo, TransactionStore.RevisionKey(1)) { ["State"] = "submitting", ["At"] = now }),
        ], cancellationToken);
        record.State = TransactionState.Submitted;
        await transactions.SubmitTransactionAsync(
        [
            new TableTransactionAction(
                TableTransactionActionType.UpdateReplace,
                TransactionStore.ToEntity(record, 2),
                inserted.Value[0].Headers.ETag ?? ETag.All),
            new TableTransactionAction(
                TableTransactionActionType.Add,
                new TableEntity(tradeNo, TransactionStore.RevisionKey(2)) { ["State"] = "submitted", ["At"] = now }),
        ], cancellationToken);
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync("OK", cancellationToken);
    }

    public ValueTask DisposeAsync() => Loopback.StopServerAsync(_app);
}
