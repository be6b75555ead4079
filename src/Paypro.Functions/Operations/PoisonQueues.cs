using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Paypro.Functions.Configuration;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Operations;

/// <summary>A message in a poison queue, as the operator sees it: no body, the mobile masked.</summary>
public sealed record PoisonMessageView(
    string MessageId,
    DateTimeOffset? InsertedOn,
    long DequeueCount,
    string? TradeNo,
    string? Mobile,
    string? Reason,
    string? RecordedState);

/// <summary>The first messages of a poison queue (a peek shows at most 32).</summary>
public sealed record PoisonListing(string Queue, IReadOnlyList<PoisonMessageView> Messages, bool MoreMayExist);

/// <summary>
/// What to re-submit: some messages by id, or all of them; and whether messages of known tradeNos leave the poison queue.
/// </summary>
public sealed record RedriveRequest(IReadOnlyList<string>? MessageIds, bool All, bool RemoveKnown);

/// <summary>What happened to one poison message.</summary>
public sealed record RedriveOutcome(string MessageId, string? TradeNo, string Outcome, string Detail);

public sealed record RedriveReport(string Queue, IReadOnlyList<RedriveOutcome> Messages);

/// <summary>
/// The operator's view of <c>&lt;queue&gt;-poison</c>, and re-submitting its messages once the cause is fixed. A
/// message whose tradeNo is already recorded is never sent again: it goes through the queue function, which records
/// a tradeNo once, and it is not even re-enqueued here; it is reported as already known and removed only on request.
/// </summary>
public sealed class PoisonQueues(
    QueueServiceClient queues,
    QueueNames names,
    ITransactionStore store,
    IOperationsStore operations,
    ILogger<PoisonQueues> logger)
{
    /// <summary>Queue Storage returns at most 32 messages per peek or receive.</summary>
    public const int MaxBatch = 32;

    /// <summary>The most messages one redrive call takes from the poison queue.</summary>
    public const int MaxPerRedrive = 1000;

    // Messages looked at stay invisible for the rest of the call; the call stops taking new ones well before
    // their hold runs out, so the pop receipts it releases at the end are still valid.
    private static readonly TimeSpan Hold = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MaxRedriveTime = TimeSpan.FromMinutes(2);

    /// <summary>The main queue of a route segment (<c>payouts</c>, <c>payins</c>), or null.</summary>
    public string? QueueOf(string segment) => segment switch
    {
        "payouts" => names.Payouts,
        "payins" => names.Payins,
        _ => null,
    };

    public async Task<PoisonListing> ListAsync(string queue, CancellationToken cancellationToken)
    {
        var poison = queues.GetQueueClient(QueueNames.PoisonOf(queue));
        if (!await poison.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            return new PoisonListing(poison.Name, [], false);
        }
        PeekedMessage[] peeked = (await poison.PeekMessagesAsync(MaxBatch, cancellationToken).ConfigureAwait(false)).Value;
        var views = new List<PoisonMessageView>(peeked.Length);
        foreach (var message in peeked)
        {
            var (tradeNo, mobile) = Read(message.Body);
            var reason = await operations.GetPoisonReasonAsync(poison.Name, message.MessageId, cancellationToken).ConfigureAwait(false)
                ?? (tradeNo is null ? null : await store.GetLastDeliveryFailureAsync(tradeNo, cancellationToken).ConfigureAwait(false));
            var recorded = tradeNo is null
                ? null
                : (await store.GetAsync(tradeNo, cancellationToken).ConfigureAwait(false))?.State.ToWire();
            views.Add(new PoisonMessageView(
                message.MessageId,
                message.InsertedOn,
                message.DequeueCount,
                tradeNo,
                mobile is null ? null : PayproValidation.MaskMobile(mobile),
                reason,
                recorded));
        }
        return new PoisonListing(poison.Name, views, peeked.Length == MaxBatch);
    }

    public async Task<RedriveReport> RedriveAsync(string queue, RedriveRequest request, CancellationToken cancellationToken)
    {
        var main = queues.GetQueueClient(queue);
        var poison = queues.GetQueueClient(QueueNames.PoisonOf(queue));
        var wanted = request.MessageIds is { Count: > 0 } ids ? new HashSet<string>(ids, StringComparer.Ordinal) : null;
        var outcomes = new List<RedriveOutcome>();
        var held = new List<(string MessageId, string PopReceipt)>();
        if (!await poison.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            return new RedriveReport(poison.Name, outcomes);
        }
        try
        {
            var taken = 0;
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            while (taken < MaxPerRedrive
                && (wanted is null || outcomes.Count < wanted.Count)
                && System.Diagnostics.Stopwatch.GetElapsedTime(started) < MaxRedriveTime)
            {
                // Received messages stay invisible for the rest of this call, so a batch never repeats one.
                QueueMessage[] batch = (await poison.ReceiveMessagesAsync(MaxBatch, Hold, cancellationToken).ConfigureAwait(false)).Value;
                if (batch.Length == 0)
                {
                    break;
                }
                taken += batch.Length;
                foreach (var message in batch)
                {
                    if (wanted is not null && !wanted.Contains(message.MessageId))
                    {
                        held.Add((message.MessageId, message.PopReceipt));
                        continue;
                    }
                    outcomes.Add(await RedriveOneAsync(main, poison, message, request.RemoveKnown, held, cancellationToken)
                        .ConfigureAwait(false));
                }
            }
        }
        finally
        {
            // What was looked at but stays is visible again at once.
            foreach (var (messageId, popReceipt) in held)
            {
                await poison.UpdateMessageAsync(
                        messageId,
                        popReceipt,
                        visibilityTimeout: TimeSpan.Zero,
                        cancellationToken: CancellationToken.None)
                    .ConfigureAwait(false);
            }
        }
        if (wanted is not null)
        {
            foreach (var missing in wanted.Where(id => outcomes.All(o => o.MessageId != id)))
            {
                outcomes.Add(new RedriveOutcome(
                    missing,
                    null,
                    "not-found",
                    "No message with this id is in the poison queue (or it is being redriven by another call)."));
            }
        }
        return new RedriveReport(poison.Name, outcomes);
    }

    private async Task<RedriveOutcome> RedriveOneAsync(
        QueueClient main,
        QueueClient poison,
        QueueMessage message,
        bool removeKnown,
        List<(string, string)> held,
        CancellationToken cancellationToken)
    {
        var (tradeNo, _) = Read(message.Body);
        if (tradeNo is null)
        {
            held.Add((message.MessageId, message.PopReceipt));
            return new RedriveOutcome(
                message.MessageId,
                null,
                "kept",
                "The message has no readable tradeNo, so it can never be performed; fix it at its producer and enqueue it anew.");
        }
        if (await store.GetAsync(tradeNo, cancellationToken).ConfigureAwait(false) is { } record)
        {
            if (removeKnown)
            {
                await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
                return new RedriveOutcome(message.MessageId, tradeNo, "already-known-removed",
                    $"tradeNo {tradeNo} is already {record.State.ToWire()}; nothing was sent, and the message left the poison queue.");
            }
            held.Add((message.MessageId, message.PopReceipt));
            return new RedriveOutcome(
                message.MessageId,
                tradeNo,
                "already-known",
                $"tradeNo {tradeNo} is already {record.State.ToWire()}; nothing was sent. " +
                    $"Ask with removeKnown to take the message out of the poison queue.");
        }
        // The copy goes first: a crash between the two leaves a duplicate message, which the queue function
        // performs once, never a lost one.
        await main.SendMessageAsync(
                message.Body,
                visibilityTimeout: null,
                timeToLive: QueueNames.RequestTimeToLive,
                cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
        logger.PoisonRedriven(message.MessageId, tradeNo, main.Name);
        return new RedriveOutcome(
            message.MessageId,
            tradeNo,
            "resubmitted",
            $"Put back on {main.Name}; the queue function performs it once.");
    }

    /// <summary>The tradeNo (when valid) and mobile of a message body, read leniently: a poison message may be anything.</summary>
    private static (string? TradeNo, string? Mobile) Read(BinaryData body)
    {
        try
        {
            using var document = JsonDocument.Parse(body.ToMemory(), new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }
            string? tradeNo = null;
            string? mobile = null;
            var seenTradeNo = false;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "tradeNo")
                {
                    if (seenTradeNo)
                    {
                        // Two tradeNos: the message has no single idempotency key, as the queue function says too.
                        return (null, mobile);
                    }
                    seenTradeNo = true;
                    tradeNo = property.Value.ValueKind == JsonValueKind.String
                        && PayproValidation.TryValidateTradeNo(property.Value.GetString(), out _)
                        ? property.Value.GetString()
                        : null;
                }
                else if (property.Name == "mobile" && property.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number)
                {
                    mobile = property.Value.ToString();
                }
            }
            return (tradeNo, mobile);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }
}
