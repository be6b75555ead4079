using System.Diagnostics;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.Telemetry;

namespace Paypro.Functions.Transactions;

/// <summary>
/// Performs a queued payout or payin exactly once. The record is written ("submitting") before the call,
/// and only the instance whose insert wins calls Paypro; a redelivered or duplicated message finds the
/// record and stops. A create call is never repeated: an unknown outcome is resolved by querying.
/// </summary>
public sealed class TransactionSubmitter
{

    private readonly ITransactionStore _store;
    private readonly IDueIndex _due;
    private readonly IOperationsStore _operations;
    private readonly PayoutControls _controls;
    private readonly IControlsStore _controlsStore;
    private readonly TransactionProcessor _processor;
    private readonly PayproClient _paypro;
    private readonly QueueServiceClient _queues;
    private readonly PayproClientOptions _payproOptions;
    private readonly PollOptions _poll;
    private readonly Uri? _defaultNotifyUrl;
    private readonly TimeProvider _time;
    private readonly ILogger<TransactionSubmitter> _logger;

    public TransactionSubmitter(
        ITransactionStore store,
        IDueIndex due,
        IOperationsStore operations,
        PayoutControls controls,
        IControlsStore controlsStore,
        TransactionProcessor processor,
        PayproClient paypro,
        QueueServiceClient queues,
        IOptions<PayproClientOptions> payproOptions,
        IOptions<PollOptions> poll,
        IOptions<PayproAppOptions> app,
        TimeProvider time,
        ILogger<TransactionSubmitter> logger)
    {
        _store = store;
        _due = due;
        _operations = operations;
        _controls = controls;
        _controlsStore = controlsStore;
        _processor = processor;
        _paypro = paypro;
        _queues = queues;
        _payproOptions = payproOptions.Value;
        _poll = poll.Value;
        _defaultNotifyUrl = app.Value.NotifyUrl;
        _time = time;
        _logger = logger;
    }

    /// <summary>What makes a request for a tradeNo "the same request" (see <see cref="RequestIdentity"/>).</summary>
    public RequestIdentity IdentityOf(TransactionKind kind, TransactionRequest request) =>
        RequestIdentity.Of(kind, request, _defaultNotifyUrl);

    /// <summary>
    /// The request <paramref name="record"/> was made from, as <see cref="IdentityOf(TransactionKind, TransactionRequest)"/> sees it.
    /// </summary>
    public RequestIdentity IdentityOf(TransactionRecord record) => RequestIdentity.Of(record, _defaultNotifyUrl);

    /// <summary>
    /// The message contract, for the queues and the HTTP submit alike: the request parses and is valid, and a payin
    /// has a notifyUrl (its own or Paypro:NotifyUrl).
    /// </summary>
    /// <param name="kind">Payout or payin.</param>
    /// <param name="text">The message text or request body.</param>
    /// <param name="request">The request when valid.</param>
    /// <param name="tradeNo">The request's tradeNo when it has a valid one, even if something else is wrong.</param>
    /// <param name="error">What is wrong, naming the field.</param>
    public bool TryValidate(TransactionKind kind, string text, out TransactionRequest? request, out string? tradeNo, out string? error)
    {
        if (!TransactionRequest.TryParse(text, _payproOptions.MinAmount, _payproOptions.MaxAmount, out request, out tradeNo, out error))
        {
            return false;
        }
        if (kind == TransactionKind.Payin && (request!.NotifyUrl ?? _defaultNotifyUrl) is null)
        {
            request = null;
            error = "A payin needs a notifyUrl: set Paypro:NotifyUrl or give notifyUrl in the message.";
            return false;
        }
        return true;
    }

    /// <summary>
    /// Handles one delivery of a message from the payouts or payins queue (<paramref name="queueName"/>). A failure
    /// is recorded against the tradeNo and rethrown, so the host retries the message and, after its last delivery,
    /// moves it to the poison queue, where the operator's listing shows the recorded reason.
    /// </summary>
    public async Task SubmitAsync(TransactionKind kind, string queueName, QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            await SubmitOnceAsync(kind, queueName, message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await RecordDeliveryFailureAsync(message, ex, cancellationToken).ConfigureAwait(false);
            throw;
        }
    }

    private async Task RecordDeliveryFailureAsync(QueueMessage message, Exception failure, CancellationToken cancellationToken)
    {
        if (!TransactionRequest.TryParse(message.Body?.ToString() ?? "", 0, long.MaxValue, out _, out var tradeNo, out _)
            && tradeNo is null)
        {
            return;
        }
        try
        {
            // The exception's type and message only: a storage or Paypro failure, never a secret or a mobile.
            await _store.AppendAuditAsync(
                tradeNo!,
                new AuditEntry(
                    "message",
                    "delivery-failed",
                    $"message {message.MessageId}, delivery {message.DequeueCount}: {failure.GetType().Name}: {failure.Message}"),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Storage is likely what failed in the first place; the failure itself is logged by the host.
            _logger.DeliveryFailureNotRecorded(ex, message.MessageId);
        }
    }

    private async Task SubmitOnceAsync(TransactionKind kind, string queueName, QueueMessage message, CancellationToken cancellationToken)
    {
        var messageText = message.Body?.ToString() ?? "";
        var messageId = message.MessageId;
        if (!TryValidate(kind, messageText, out var request, out var tradeNo, out var error))
        {
            if (tradeNo is null)
            {
                await MoveToPoisonAsync(queueName, messageText, messageId, error!, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await RejectAsync(kind, tradeNo, error!, cancellationToken).ConfigureAwait(false);
            }
            return;
        }
        using var activity = TransactionTracing.StartWork(TransactionTracing.Submit, request!.TraceParent, request.TradeNo, kind.ToWire());
        activity?.SetTag("messaging.message.id", messageId);
        activity?.SetTag("messaging.delivery_count", message.DequeueCount);
        var existing = await _store.GetAsync(request.TradeNo, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            await OnDuplicateAsync(existing, request, kind, messageId, cancellationToken).ConfigureAwait(false);
            return;
        }

        var now = _time.GetUtcNow();
        // The due entry goes in first: whatever happens after the insert, the poller will look.
        var due = await _due.ScheduleNewAsync(request.TradeNo, kind, now, now + _poll.FirstCheckAfter, cancellationToken)
            .ConfigureAwait(false);
        // The controls decide before the record is written: a payout is counted from the moment it is cleared to be sent.
        var clearance = kind == TransactionKind.Payout
            ? await _controls.ClearAsync(request.Amount, request.Mobile, now, cancellationToken).ConfigureAwait(false)
            : Clearance.None;
        // This attempt's mark on the record: neither the message id nor the content can tell an insert of our own whose
        // answer was lost from a record left by an earlier delivery that crashed after its create call.
        var nonce = Guid.NewGuid().ToString("N");
        var record = new TransactionRecord
        {
            DueETag = due.ETag,
            IndexPartition = due.Partition,
            SubmitNonce = nonce,
            TraceParent = TransactionTracing.ContextToStore(activity, request.TraceParent),
            EnqueuedAt = message.InsertedOn ?? now,
            TradeNo = request.TradeNo,
            Kind = kind,
            State = TransactionState.Submitting,
            Amount = request.Amount,
            Mobile = request.Mobile,
            Remark = request.Remark,
            // The producer's own notifyUrl only: the app's holds the function key, which is never kept at rest.
            NotifyUrl = RequestIdentity.StoredNotifyUrl(request.NotifyUrl, _defaultNotifyUrl),
            MetadataJson = request.MetadataJson,
            CreatedAt = now,
            UpdatedAt = now,
            SubmittedAt = clearance.IsHeld ? null : now,
            Counted = clearance.Counted,
        };
        if (clearance.IsHeld)
        {
            // On the held list before the record exists, so a held payout is always listed, and expires.
            await _controlsStore.AddHeldAsync(new HeldEntry(request.TradeNo, request.Amount, now, clearance.HeldReason!), cancellationToken)
                .ConfigureAwait(false);
        }
        var transition = clearance.IsHeld ? TransactionRules.OnHold(clearance.HeldReason!) : TransactionRules.OnNewRequest();
        if (await _processor.CreateAsync(record, transition, "message", $"message {messageId} (delivery {message.DequeueCount})",
            cancellationToken).ConfigureAwait(false) == WriteOutcome.Conflict)
        {
            // The storage client retries an insert whose answer was lost, and the retry conflicts with the insert itself:
            // only the record carrying this attempt's nonce is ours to send.
            var inserted = await _store.GetAsync(request.TradeNo, cancellationToken).ConfigureAwait(false);
            if (inserted?.SubmitNonce != nonce || inserted.State != transition.To)
            {
                if (inserted?.SubmitNonce != nonce && clearance.Counted is { } counted)
                {
                    // Another delivery's record won: what this one took from the counts goes back.
                    await _controls.GiveBackAsync(counted, request.Mobile, request.Amount, cancellationToken).ConfigureAwait(false);
                }
                _logger.SubmittedElsewhere(kind.ToWire(), request.TradeNo);
                return;
            }
            _logger.OwnInsertRecognised(kind.ToWire(), request.TradeNo);
            record = inserted;
        }
        if (clearance.IsHeld)
        {
            FunctionsMetrics.Held.Add(1, new KeyValuePair<string, object?>("limit", clearance.HeldBy));
            _logger.PayoutHeld(
                record.TradeNo,
                record.Amount,
                PayproValidation.MaskMobile(record.Mobile),
                clearance.HeldBy!,
                clearance.HeldReason!);
            TransactionTracing.Outcome(activity, record.State.ToWire(), "held");
            return;
        }
        await SendAsync(record, activity, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The create call of a record written as submitting, and what it answered: the one place a payout or payin is sent,
    /// for a new message and for a released payout alike. Returns the record as stored afterwards.
    /// </summary>
    internal async Task<TransactionRecord> SendAsync(TransactionRecord record, Activity? activity, CancellationToken cancellationToken)
    {
        var notifyUrl = (record.NotifyUrl is { } own ? new Uri(own) : null) ?? _defaultNotifyUrl;
        PayproCreateResult result;
        try
        {
            result = record.Kind == TransactionKind.Payout
                ? await _paypro.CreatePayoutAsync(
                    new PayoutCreateOptions
                    {
                        TradeNo = record.TradeNo,
                        Amount = record.Amount,
                        Mobile = record.Mobile,
                        Remark = record.Remark,
                        NotifyUrl = notifyUrl,
                    },
                    cancellationToken).ConfigureAwait(false)
                : await _paypro.CreatePayinAsync(
                    new PayinCreateOptions
                    {
                        TradeNo = record.TradeNo,
                        Amount = record.Amount,
                        Mobile = record.Mobile,
                        Remark = record.Remark,
                        NotifyUrl = notifyUrl!,
                    },
                    cancellationToken).ConfigureAwait(false);
        }
        catch (PayproValidationException ex)
        {
            // Refused by the client before anything was sent.
            var (refused, _) = await _processor.UpdateAsync(record, (current, _) => TransactionRules.OnNotSent(current, ex.Reason),
                "create-call", "not sent: " + ex.Reason, cancellationToken).ConfigureAwait(false);
            return refused;
        }

        var detail = ResultText.Of(result);
        var (stored, _) = await _processor.UpdateAsync(
            record,
            (current, _) => TransactionRules.OnCreateAnswer(current, result),
            "create-call",
            detail,
            cancellationToken).ConfigureAwait(false);
        TransactionTracing.Outcome(activity, stored.State.ToWire(), result.Outcome.ToString());
        _logger.CreateCallAnswered(
            stored.Kind.ToWire(),
            stored.TradeNo,
            stored.Amount,
            PayproValidation.MaskMobile(stored.Mobile),
            detail,
            stored.State.ToWire());
        return stored;
    }

    private async Task RejectAsync(TransactionKind kind, string tradeNo, string reason, CancellationToken cancellationToken)
    {
        var existing = await _store.GetAsync(tradeNo, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            LogInvalidForExisting(kind, tradeNo, reason);
            return;
        }
        var now = _time.GetUtcNow();
        var due = await _due.ScheduleNewAsync(tradeNo, kind, now, now + _poll.FirstCheckAfter, cancellationToken).ConfigureAwait(false);
        var record = new TransactionRecord
        {
            DueETag = due.ETag,
            IndexPartition = due.Partition,
            TradeNo = tradeNo,
            Kind = kind,
            State = TransactionState.Submitting,
            CreatedAt = now,
            UpdatedAt = now,
        };
        if (await _processor.CreateAsync(
            record,
            TransactionRules.OnInvalidRequest(reason),
            "message",
            "invalid message: " + reason,
            cancellationToken).ConfigureAwait(false) == WriteOutcome.Conflict)
        {
            LogInvalidForExisting(kind, tradeNo, reason);
            return;
        }
        FunctionsMetrics.MessagesRejected.Add(1, new KeyValuePair<string, object?>("kind", kind.ToWire()));
    }

    private void LogInvalidForExisting(TransactionKind kind, string tradeNo, string reason) =>
        _logger.InvalidMessageForExisting(kind.ToWire(), tradeNo, reason);

    private async Task MoveToPoisonAsync(
        string queueName,
        string messageText,
        string messageId,
        string reason,
        CancellationToken cancellationToken)
    {
        // Without a tradeNo there is no record to reject; retrying five times would not help either. The
        // deployment (or a local run) created the poison queue. The reason goes to the audit trail, not the
        // body: the poison queue keeps that, and it may hold a mobile number.
        var poison = _queues.GetQueueClient(QueueNames.PoisonOf(queueName));
        var receipt = await poison.SendMessageAsync(messageText, cancellationToken).ConfigureAwait(false);
        await _operations.RecordPoisonReasonAsync(
            poison.Name,
            receipt.Value.MessageId,
            $"message {messageId} from {queueName}: {reason}",
            cancellationToken).ConfigureAwait(false);
        FunctionsMetrics.MessagesPoisoned.Add(1, new KeyValuePair<string, object?>("queue", queueName));
        _logger.MessagePoisoned(messageId, queueName, poison.Name, reason);
    }

    /// <summary>
    /// A message for a tradeNo already recorded: the same request is a redelivery and changes nothing; another request
    /// (a payin reusing a payout's tradeNo included) is never sent, and is kept as an anomaly on the recorded transaction
    /// and announced, so it is not dropped silently.
    /// </summary>
    private async Task OnDuplicateAsync(
        TransactionRecord existing,
        TransactionRequest request,
        TransactionKind kind,
        string messageId,
        CancellationToken cancellationToken)
    {
        var requested = IdentityOf(kind, request);
        var recorded = IdentityOf(existing);
        if (recorded.SameAs(requested))
        {
            _logger.DuplicateDelivery(kind.ToWire(), existing.TradeNo, existing.State.ToWire());
            return;
        }
        var differences = recorded.Differences(requested);
        _logger.ConflictingDuplicate(
            kind.ToWire(),
            existing.TradeNo,
            existing.State.ToWire(),
            existing.Kind.ToWire(),
            string.Join(", ", differences));
        await _processor.UpdateAsync(
            existing,
            (current, _) => TransactionRules.OnConflictingRequest(current, kind, requested.Digest, differences),
            "message",
            $"message {messageId}: a {kind.ToWire()} request with this tradeNo differs in {string.Join(", ", differences)}",
            cancellationToken).ConfigureAwait(false);
    }
}
