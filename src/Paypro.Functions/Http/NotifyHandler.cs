using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.Secrets;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Http;

/// <summary>
/// Handles <c>POST /api/paypro/notify</c> (function <c>PayproNotify</c>): Paypro's result callbacks for payins and
/// payouts. Verified before anything is trusted, recorded whatever the verdict, applied by the state
/// rules, and answered <c>OK</c> only once the result is durably written (otherwise 5xx, so Paypro retries).
/// </summary>
public sealed class NotifyHandler
{
    private readonly ITransactionStore _store;
    private readonly IDueIndex _due;
    private readonly IOperationsStore _operations;
    private readonly TransactionProcessor _processor;
    private readonly IAppSecretStore _secrets;
    private readonly SaltPosition _saltPosition;
    private readonly NotifyOptions _options;
    private readonly IpAllowList _allowed;
    private readonly TimeProvider _time;
    private readonly ILogger<NotifyHandler> _logger;

    public NotifyHandler(
        ITransactionStore store,
        IDueIndex due,
        IOperationsStore operations,
        TransactionProcessor processor,
        IAppSecretStore secrets,
        IOptions<PayproClientOptions> paypro,
        IOptions<NotifyOptions> options,
        TimeProvider time,
        ILogger<NotifyHandler> logger)
    {
        _store = store;
        _due = due;
        _operations = operations;
        _processor = processor;
        _secrets = secrets;
        _saltPosition = paypro.Value.SaltPosition;
        _options = options.Value;
        _allowed = _options.ParseAllowedRanges();
        _time = time;
        _logger = logger;
    }

    public async Task<IResult> HandleAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        // The caller as the worker reports it: under the host, the worker has already taken the client's
        // address from X-Forwarded-For (its rightmost entry), so nothing here reads that header again.
        var caller = Caller.AddressOf(context);
        var sourceIp = caller?.ToString();
        try
        {
            if (!_allowed.Allows(caller))
            {
                return await RefuseAsync(
                    null,
                    StatusCodes.Status403Forbidden,
                    "ip-not-allowed",
                    "The caller's address is not in Notify:AllowedIpRanges.",
                    null,
                    sourceIp,
                    cancellationToken);
            }
            var body = await BoundedBody.ReadAsync(context.Request, _options.MaxBodyBytes, cancellationToken);
            if (body is null)
            {
                return await RefuseAsync(
                    null,
                    StatusCodes.Status413PayloadTooLarge,
                    "oversized",
                    $"The body is larger than {_options.MaxBodyBytes} bytes (Notify:MaxBodyBytes).",
                    null,
                    sourceIp,
                    cancellationToken);
            }

            var verdict = await VerifyAsync(body, cancellationToken);
            if (verdict.Failure == PayproNotifyFailure.Malformed)
            {
                return await RefuseAsync(
                    null,
                    StatusCodes.Status400BadRequest,
                    "malformed",
                    verdict.Reason!,
                    RedactMalformed(body),
                    sourceIp,
                    cancellationToken);
            }
            var fields = verdict.Fields!;
            var claimedTradeNo = fields["tradeNo"];
            var stored = WithoutSign(fields);
            var signed = fields.Sign is not null;
            if (verdict.Failure == PayproNotifyFailure.Forged)
            {
                return await RefuseAsync(
                    claimedTradeNo,
                    StatusCodes.Status401Unauthorized,
                    "forged",
                    "The sign does not match the body under the app secret (nor the previous one during a rotation).",
                    stored,
                    sourceIp,
                    cancellationToken);
            }
            if (!signed && _options.UnsignedPolicy == UnsignedCallbackPolicy.Reject)
            {
                return await RefuseAsync(claimedTradeNo, StatusCodes.Status401Unauthorized, "unsigned",
                    "The callback has no sign and Notify:UnsignedPolicy is Reject.", stored, sourceIp, cancellationToken);
            }
            if (verdict.Failure == PayproNotifyFailure.InvalidFields)
            {
                return await RefuseAsync(
                    claimedTradeNo,
                    StatusCodes.Status400BadRequest,
                    "invalid-fields",
                    verdict.Reason!,
                    stored,
                    sourceIp,
                    cancellationToken);
            }

            var tradeNo = verdict.Notification?.TradeNo ?? verdict.UnsignedClaim!.TradeNo;
            var claimedStatus = verdict.Notification?.Status ?? verdict.UnsignedClaim!.Status;
            var record = await _store.GetAsync(tradeNo, cancellationToken);
            if (record is null)
            {
                _logger.CallbackForUnknownTradeNo(tradeNo, claimedStatus);
                await _operations.AppendAsideAsync(
                    IOperationsStore.Unmatched,
                    tradeNo,
                    Callback("unknown-tradeNo", "No transaction has this tradeNo; recorded for investigation.", stored, sourceIp),
                    cancellationToken);
                return Ok();
            }
            using var activity = TransactionTracing.StartWork(
                TransactionTracing.Callback,
                record.TraceParent,
                record.TradeNo,
                record.Kind.ToWire());
            activity?.SetTag("paypro.status", claimedStatus);
            activity?.SetTag("paypro.signed", signed);
            if (verdict.Notification is not { } notification)
            {
                return await RecordHintAsync(record, claimedStatus, stored, sourceIp, cancellationToken);
            }

            // The callback's audit row goes in the same batch as the change it makes (or alone when it changes nothing).
            var unknown = notification.UnknownFields.Count == 0
                ? ""
                : $"; unknown fields kept, not used: {string.Join(", ", notification.UnknownFields)}";
            var (updated, transition) = await _processor.ApplyAsync(
                record,
                PayproObservation.FromNotification(notification),
                $"callback: status {notification.Status}",
                (changed, change) => Callback(VerdictOf(change), $"now {changed.State.ToWire()}{unknown}", stored, sourceIp),
                cancellationToken);
            var applied = VerdictOf(transition);
            TransactionTracing.Outcome(activity, updated.State.ToWire(), applied);
            FunctionsMetrics.Callbacks.Add(1, new KeyValuePair<string, object?>("verdict", applied));
            return Ok();
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Nothing was applied, or what was applied is durable and idempotent: Paypro's retry finishes the job.
            _logger.CallbackNotProcessed(ex);
            FunctionsMetrics.Callbacks.Add(1, new KeyValuePair<string, object?>("verdict", "unavailable"));
            return TypedResults.Problem(
                title: "Temporarily unavailable",
                detail: "The callback could not be recorded; retry later.",
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private async Task<PayproNotifyResult> VerifyAsync(byte[] body, CancellationToken cancellationToken)
    {
        var verdict = await PayproNotifyVerifier.VerifyAsync(body, _secrets.GetVerificationSecretsAsync, _saltPosition, cancellationToken);
        // The secret may have been rotated; the store re-reads it at most once per interval, so
        // forged callbacks cannot turn into a flood of vault reads.
        if (verdict.Failure == PayproNotifyFailure.Forged && await _secrets.RefreshAfterVerificationMissAsync(cancellationToken))
        {
            verdict = await PayproNotifyVerifier.VerifyAsync(body, _secrets.GetVerificationSecretsAsync, _saltPosition, cancellationToken);
        }
        return verdict;
    }

    private async Task<IResult> RecordHintAsync(
        TransactionRecord record,
        string claimedStatus,
        string stored,
        string? sourceIp,
        CancellationToken cancellationToken)
    {
        if (TransactionRules.OnUnsignedHint(record) == UnsignedHintAnswer.Ignore)
        {
            await _store.AppendAuditAsync(
                record.TradeNo,
                Callback(
                    "unsigned-hint-ignored",
                    $"Unsigned callback; the transaction is already {record.State.ToWire()}.",
                    stored,
                    sourceIp),
                cancellationToken);
            return Ok();
        }
        // Moves the transaction's one entry forward; never a second entry, so hints cannot multiply the checks.
        await _due.BringDueForwardAsync(record.TradeNo, record.IndexPartition, _time.GetUtcNow(), cancellationToken);
        await _store.AppendAuditAsync(
            record.TradeNo,
            Callback(
                "unsigned-hint",
                $"Unsigned callback claiming status {claimedStatus}; nothing changes until a query to Paypro confirms it.",
                stored,
                sourceIp),
            cancellationToken);
        FunctionsMetrics.Callbacks.Add(1, new KeyValuePair<string, object?>("verdict", "hint"));
        return Ok();
    }

    private async Task<IResult> RefuseAsync(
        string? tradeNo,
        int status,
        string verdict,
        string reason,
        string? body,
        string? sourceIp,
        CancellationToken cancellationToken)
    {
        _logger.CallbackRejected(verdict, sourceIp ?? "unknown", reason);
        FunctionsMetrics.Callbacks.Add(1, new KeyValuePair<string, object?>("verdict", verdict));
        // One write, in a partition of refused callbacks: never in the partition of the transaction it claims to be about.
        await _operations.AppendAsideAsync(
            IOperationsStore.Refused,
            tradeNo,
            Callback("rejected-" + verdict, reason, body, sourceIp),
            cancellationToken);
        return TypedResults.Problem(title: "Callback refused", detail: reason, statusCode: status);
    }

    private static AuditEntry Callback(string verdict, string detail, string? body, string? sourceIp) =>
        new("callback", verdict, detail, body, sourceIp);

    private static string VerdictOf(Transition? transition) =>
        transition switch
        {
            null => "duplicate",
            AnomalyKept => "anomaly",
            _ => "applied",
        };

    private static IResult Ok() => TypedResults.Text("OK", "text/plain", Encoding.UTF8);

    /// <summary>The body as recorded in the audit trail: the fields as received, without <c>sign</c>.</summary>
    private static string WithoutSign(PayproFields fields)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var field in fields)
            {
                if (field.Name == PayproSignature.SignField)
                {
                    continue;
                }
                switch (field.Kind)
                {
                    case JsonValueKind.Number:
                        writer.WritePropertyName(field.Name);
                        writer.WriteRawValue(field.Value);
                        break;
                    case JsonValueKind.True or JsonValueKind.False:
                        writer.WriteBoolean(field.Name, field.Kind == JsonValueKind.True);
                        break;
                    case JsonValueKind.Null:
                        writer.WriteNull(field.Name);
                        break;
                    default:
                        writer.WriteString(field.Name, field.Value);
                        break;
                }
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A body that did not parse, kept for investigation with anything after a "sign" key cut off.</summary>
    private static string RedactMalformed(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 4096));
        var at = text.IndexOf("\"sign\"", StringComparison.Ordinal);
        return at < 0 ? text : text[..at] + "\"sign\"…(removed)";
    }
}
