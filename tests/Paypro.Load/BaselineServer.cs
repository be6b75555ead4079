using System.Buffers;
using System.Text;
using System.Text.Json;
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
/// The baselines of the notify measurement: a bare ASP.NET Core endpoint in this process, on the same Azurite, with
/// the same entities, and no signature check, no field checks, no state rules: what is left when the app's own work
/// is taken away. Without an events queue it makes three table round trips: a point read of the record, a
/// conditional write (the record replaced under its ETag, with a revision row and an outbox row, in one batch) and an
/// audit insert. With one, it makes the four operations of the app's finalising notify: the read, one batch holding
/// the record, the revision row, the outbox row and the audit row, the event sent to the queue, and the due entry
/// removed under its version.
/// </summary>
public sealed class BaselineServer : IAsyncDisposable
{
    public const string Path = "/baseline/notify";

    /// <summary>
    /// The submit path's storage, bare: for the tradeNo in the body, the record read (absent), the due entry and the
    /// creation row in one batch in its index partition, the record inserted with its revision, then replaced with the
    /// next. No queue, no validation, no call to Paypro.
    /// </summary>
    public const string SubmitPath = "/baseline/submit";
    private const int MaxBodyBytes = 16 * 1024;

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

        var tables = azurite.CreateTableServiceClient();
        var transactions = tables.GetTableClient(tablePrefix + "Transactions");
        var audit = tables.GetTableClient(tablePrefix + "Audit");
        var due = tables.GetTableClient(tablePrefix + "Due");
        var events = eventsQueue is null ? null : azurite.CreateQueueServiceClient().GetQueueClient(eventsQueue);
        if (events is not null)
        {
            await events.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }
        app.MapPost(Path, (HttpContext context) => HandleAsync(context, transactions, audit, due, events));
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

    private static async Task HandleAsync(
        HttpContext context,
        TableClient transactions,
        TableClient audit,
        TableClient due,
        QueueClient? events)
    {
        var cancellationToken = context.RequestAborted;
        var body = await ReadAsync(context.Request, cancellationToken);
        string? tradeNo = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            tradeNo = document.RootElement.TryGetProperty("tradeNo", out var element) ? element.GetString() : null;
        }
        catch (JsonException)
        {
        }
        if (tradeNo is null)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        // 1. Point read.
        var read = await transactions.GetEntityIfExistsAsync<TableEntity>(tradeNo, "record", cancellationToken: cancellationToken);
        if (!read.HasValue)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var record = read.Value!;
        var now = DateTimeOffset.UtcNow;
        var revision = (record.GetInt32("Revision") ?? 0) + 1;
        record["State"] = "succeeded";
        record["UpdatedAt"] = now;
        record["FinalAt"] = now;
        record["PayproStatus"] = "0000";
        record["Revision"] = revision;
        record["Unsent"] = "[\"succeeded\"]";
        var payload = TransactionEvents.Build(new TransactionRecord
        {
            TradeNo = tradeNo,
            Kind = TransactionKind.Payout,
            State = TransactionState.Succeeded,
            Amount = record.GetInt64("Amount") ?? 0,
            MetadataJson = record.GetString("Metadata"),
            CreatedAt = record.GetDateTimeOffset("CreatedAt") ?? now,
        }, TransactionRules.Succeeded, now);

        var auditRow = new TableEntity(tradeNo, $"audit|{now.UtcTicks:D19}-{Guid.NewGuid():N}")
        {
            ["At"] = now,
            ["Category"] = "callback",
            ["Verdict"] = "applied",
            ["Detail"] = "now succeeded",
            ["Body"] = Encoding.UTF8.GetString(body),
            ["SourceIp"] = context.Connection.RemoteIpAddress?.ToString(),
        };
        // 2. Conditional write: the record under its ETag, its revision row and its outbox row in one batch, and, for
        // the four-operation baseline, the audit row in the same batch (as the app writes a callback's change).
        List<TableTransactionAction> actions =
        [
            new TableTransactionAction(TableTransactionActionType.UpdateReplace, record, record.ETag),
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(tradeNo, $"rev|{revision:D6}")
            {
                ["State"] = "succeeded",
                ["Source"] = "callback",
                ["At"] = now,
                ["Detail"] = "callback: status 0000; announces payout.succeeded",
            }),
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(tradeNo, "event|succeeded")
            {
                ["EventId"] = tradeNo + ":succeeded",
                ["Payload"] = payload,
                ["CreatedAt"] = now,
            }),
        ];
        if (events is not null)
        {
            actions.Add(new TableTransactionAction(TableTransactionActionType.Add, auditRow));
        }
        try
        {
            await transactions.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            context.Response.StatusCode = StatusCodes.Status409Conflict;
            return;
        }

        if (events is not null)
        {
            // 3. and 4. The app's notify, after its write: the event to the queue, the due entry removed under its version.
            await events.SendMessageAsync(payload, cancellationToken);
            if (record.GetString("DueETag") is { } dueETag && record.GetString("IndexPartition") is { } partition)
            {
                await due.DeleteEntityAsync(partition, "d|" + tradeNo, new ETag(dueETag), cancellationToken);
            }
        }
        else
        {
            // 3. Audit insert, a round trip of its own.
            await audit.AddEntityAsync(auditRow, cancellationToken);
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync("OK", cancellationToken);
    }

    private static async Task<byte[]> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        while (buffer.WrittenCount <= MaxBodyBytes)
        {
            var read = await request.Body.ReadAsync(buffer.GetMemory(1024), cancellationToken);
            if (read == 0)
            {
                break;
            }
            buffer.Advance(read);
        }
        return buffer.WrittenSpan.ToArray();
    }

    public ValueTask DisposeAsync() => Loopback.StopServerAsync(_app);
}
