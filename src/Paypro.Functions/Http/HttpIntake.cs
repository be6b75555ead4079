using System.Text;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Http;

/// <summary>
/// <c>POST /api/payouts</c> and <c>POST /api/payins</c>: the queue's message contract over HTTP, for producers
/// without queue access. A valid request is put on the queue (the queue function then performs it exactly once);
/// the same tradeNo with the same body is accepted again without anything more happening, with another body it
/// is a conflict. Nothing here calls Paypro, so no path through it can send a tradeNo twice.
/// </summary>
public sealed class HttpIntake
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ITransactionStore _store;
    private readonly TransactionSubmitter _submitter;
    private readonly QueueServiceClient _queues;
    private readonly QueueNames _names;
    private readonly SubmitOptions _options;
    private readonly IpAllowList _allowed;
    private readonly ILogger<HttpIntake> _logger;

    public HttpIntake(
        ITransactionStore store,
        TransactionSubmitter submitter,
        QueueServiceClient queues,
        QueueNames names,
        IOptions<SubmitOptions> options,
        ILogger<HttpIntake> logger)
    {
        _store = store;
        _submitter = submitter;
        _queues = queues;
        _names = names;
        _options = options.Value;
        _allowed = _options.ParseAllowedRanges();
        _logger = logger;
    }

    public async Task<IResult> SubmitAsync(TransactionKind kind, HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        if (!_options.HttpEnabled)
        {
            // Off: the route does not exist as far as callers can tell.
            return TypedResults.NotFound();
        }
        if (!_allowed.Allows(Caller.AddressOf(context)))
        {
            return Problem(StatusCodes.Status403Forbidden, "Caller not allowed", "The caller's address is not in Submit:AllowedIpRanges.");
        }
        var body = await BoundedBody.ReadAsync(context.Request, _options.MaxBodyBytes, cancellationToken);
        if (body is null)
        {
            return Problem(
                StatusCodes.Status413PayloadTooLarge,
                "Request too large",
                $"The body is larger than {_options.MaxBodyBytes} bytes (Submit:MaxBodyBytes).");
        }
        string text;
        try
        {
            text = StrictUtf8.GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid request", "The body is not valid UTF-8.");
        }
        if (!_submitter.TryValidate(kind, text, out var request, out _, out var error))
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid request", error!);
        }

        // The W3C traceparent header carries the producer's trace when the body does not.
        if (request!.TraceParent is null
            && context.Request.Headers.TryGetValue("traceparent", out var header)
            && TransactionTracing.IsTraceParent(header.ToString()))
        {
            var withTrace = System.Text.Json.Nodes.JsonNode.Parse(text)!.AsObject();
            withTrace["traceparent"] = header.ToString();
            text = withTrace.ToJsonString();
        }
        var tradeNo = request.TradeNo;
        var identity = _submitter.IdentityOf(kind, request);
        var fingerprint = identity.Digest;
        var location = $"/api/{(kind == TransactionKind.Payout ? "payouts" : "payins")}/{tradeNo}";
        if (await _store.GetAsync(tradeNo, cancellationToken) is { } existing)
        {
            // Already recorded (from an earlier request, or from the queue): nothing to enqueue. The record decides, not an
            // earlier answer: a 202 given before another body was recorded by the queue turns into 409 on a retry.
            return _submitter.IdentityOf(existing).SameAs(identity) ? Accepted(location, tradeNo) : Conflict(tradeNo);
        }
        if (!await _store.TryAddIntakeAsync(tradeNo, kind, fingerprint, cancellationToken)
            && await _store.GetIntakeFingerprintAsync(tradeNo, cancellationToken) != fingerprint)
        {
            return Conflict(tradeNo);
        }
        // The intake row is first, the message second: a crash in between leaves a tradeNo whose retry (same
        // body) enqueues again. A message enqueued twice is harmless: the queue function records a tradeNo once.
        await _queues.GetQueueClient(kind == TransactionKind.Payout ? _names.Payouts : _names.Payins)
            .SendMessageAsync(
                text,
                visibilityTimeout: null,
                timeToLive: QueueNames.RequestTimeToLive,
                cancellationToken: cancellationToken);
        _logger.AcceptedOverHttp(kind.ToWire(), tradeNo);
        return Accepted(location, tradeNo);
    }

    private static IResult Accepted(string location, string tradeNo) =>
        TypedResults.Accepted(location, new SubmitAccepted(tradeNo, location));

    private static IResult Conflict(string tradeNo) =>
        Problem(
            StatusCodes.Status409Conflict,
            "tradeNo already used",
            $"tradeNo {tradeNo} is recorded with another request (kind, amount, mobile, remark, notifyUrl or metadata); "
            + "a tradeNo is used once."
            + " Use a new tradeNo for a new transaction.");

    private static IResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: status);
}

/// <summary>The answer to an accepted HTTP submit.</summary>
internal sealed record SubmitAccepted(string TradeNo, string Location);
