using System.Buffers;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace Paypro.Load;

/// <summary>
/// The bare notify of the load tool's baselines: the storage operations of the app's notify, on the same entities,
/// with no signature check, no field checks and no state rules: what is left when the app's own work is taken away.
/// Without an events queue it makes three table round trips: a point read of the record, a conditional write (the
/// record replaced under its ETag, with a revision row and an outbox row, in one batch) and an audit insert. With one,
/// it makes the four operations of the app's finalising notify: the read, one batch holding the record, the revision
/// row, the outbox row and the audit row, the event sent to the queue, and the due entry removed under its version.
/// The same code runs in the load tool's process and as the one function of a bare worker under the host emulator.
/// </summary>
public sealed class BareNotify(TableClient transactions, TableClient audit, TableClient due, QueueClient? events)
{
    /// <summary>Its route, in the tool's process and (after the host's route prefix) in the bare worker.</summary>
    public const string Route = "baseline/notify";

    public const int MaxBodyBytes = 16 * 1024;

    /// <summary>
    /// The options of the bare notify's clients: as the app's storage clients have them by default, without the SDK's
    /// request log, whose formatting costs processor time wherever a listener has the SDK's events on.
    /// </summary>
    public static TOptions ClientOptions<TOptions>(TOptions options)
        where TOptions : Azure.Core.ClientOptions
    {
        options.Diagnostics.IsLoggingEnabled = false;
        return options;
    }

    /// <summary>Applies the callback in <paramref name="body"/>; returns the HTTP status to answer with.</summary>
    public async Task<int> HandleAsync(byte[] body, string? sourceIp, CancellationToken cancellationToken)
    {
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
            return 400;
        }

        // 1. Point read.
        var read = await transactions.GetEntityIfExistsAsync<TableEntity>(tradeNo, "record", cancellationToken: cancellationToken);
        if (!read.HasValue)
        {
            return 404;
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
        var payload = Event(tradeNo, record, now);

        var auditRow = new TableEntity(tradeNo, $"audit|{now.UtcTicks:D19}-{Guid.NewGuid():N}")
        {
            ["At"] = now,
            ["Category"] = "callback",
            ["Verdict"] = "applied",
            ["Detail"] = "now succeeded",
            ["Body"] = Encoding.UTF8.GetString(body),
            ["SourceIp"] = sourceIp,
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
            return 409;
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
        return 200;
    }

    /// <summary>Reads a request body of at most <see cref="MaxBodyBytes"/> and a little more, which the JSON parse then refuses.</summary>
    public static async Task<byte[]> ReadBodyAsync(Stream body, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        while (buffer.WrittenCount <= MaxBodyBytes)
        {
            var read = await body.ReadAsync(buffer.GetMemory(1024), cancellationToken);
            if (read == 0)
            {
                break;
            }
            buffer.Advance(read);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The event the app sends for a payout that succeeded: its fields, from the record as read.</summary>
    private static string Event(string tradeNo, TableEntity record, DateTimeOffset now)
    {
        var output = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteString("id", tradeNo + ":succeeded");
            json.WriteString("type", "payout.succeeded");
            json.WriteString("tradeNo", tradeNo);
            json.WriteString("kind", "payout");
            json.WriteString("state", "succeeded");
            json.WriteNumber("amount", record.GetInt64("Amount") ?? 0);
            json.WriteNull("paidAmount");
            json.WriteString("payproStatus", "0000");
            json.WriteNull("payproMessage");
            json.WriteNull("platFormTradeNo");
            json.WriteString("serialNumber", record.GetString("SerialNumber"));
            json.WriteNull("mpesaReceiptNumber");
            json.WriteNull("reason");
            json.WriteNull("notSent");
            json.WriteNull("anomaly");
            json.WriteString("occurredAt", now);
            json.WriteString("createdAt", record.GetDateTimeOffset("CreatedAt") ?? now);
            json.WritePropertyName("metadata");
            json.WriteRawValue(record.GetString("Metadata") ?? "{}");
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
