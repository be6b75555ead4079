namespace Paypro.Sandbox.Api;

/// <summary>
/// What happens to every request on a Paypro path, as at a gateway: request faults, the merchant
/// check, the body, the signature, then the endpoint's own work, then the answer (or none).
/// </summary>
internal sealed partial class PayproPipeline(
    SandboxOptions options,
    SandboxLedger ledger,
    SandboxFaults faults,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<PayproPipeline> logger)
{
    /// <summary>Paypro bodies are a handful of short fields; anything larger is refused unread.</summary>
    internal const int MaxBodyBytes = 64 * 1024;

    public const string MerchantHeader = "merchantNo";

    public async Task<IResult> RunAsync(HttpContext http, string endpoint, Func<PayproFields, PayproAnswer> operation)
    {
        var receivedAt = time.GetUtcNow();
        var body = await ReadBodyAsync(http.Request, http.RequestAborted).ConfigureAwait(false);
        PayproFields? fields = null;
        string? bodyError = null;
        if (body is null)
        {
            bodyError = $"the body is larger than {MaxBodyBytes / 1024} KiB.";
        }
        else
        {
            try
            {
                fields = PayproFields.Parse(body);
            }
            catch (PayproFormatException ex)
            {
                bodyError = ex.Message;
            }
        }
        var tradeNo = fields?["tradeNo"];

        var fault = faults.MatchRequest(endpoint, tradeNo);
        if (fault.Latency > TimeSpan.Zero)
        {
            // A gateway that is slow still does the work, even when the client has given up.
            await Task.Delay(fault.Latency, time, lifetime.ApplicationStopping).ConfigureAwait(false);
        }
        if (fault.Answer == FaultKind.HttpError)
        {
            RecordUnanswered(endpoint, receivedAt, tradeNo, executed: false, fault.Answer.Value);
            return TypedResults.Text(
                "Service Unavailable",
                "text/plain",
                statusCode: fault.StatusCode ?? StatusCodes.Status503ServiceUnavailable);
        }

        var answer = fault.Answer switch
        {
            FaultKind.SystemError => PayproAnswer.Error(PayproStatus.SystemException, "system exception"),
            FaultKind.OrderError => PayproAnswer.Error(PayproStatus.OrderError, "order error"),
            _ => Authenticate(http.Request, fields, bodyError) ?? operation(fields!),
        };

        switch (fault.Answer)
        {
            case FaultKind.ExecuteThenHttpError:
                RecordUnanswered(endpoint, receivedAt, tradeNo, answer.Executed, fault.Answer.Value);
                return TypedResults.Text("Bad Gateway", "text/plain", statusCode: fault.StatusCode ?? StatusCodes.Status502BadGateway);
            case FaultKind.ExecuteThenAbort:
                RecordUnanswered(endpoint, receivedAt, tradeNo, answer.Executed, fault.Answer.Value);
                http.Abort();
                return TypedResults.Empty;
            case FaultKind.ExecuteThenTimeout:
                RecordUnanswered(endpoint, receivedAt, tradeNo, answer.Executed, fault.Answer.Value);
                await HoldUntilClientGivesUpAsync(http).ConfigureAwait(false);
                http.Abort();
                return TypedResults.Empty;
        }

        ledger.Record(endpoint, receivedAt, tradeNo, answer.Code, answer.Executed, fault.Answer);
        LogAnswered(endpoint, Loggable(tradeNo), answer.Code, answer.Message);
        return new Utf8JsonResult(PayproJson.Envelope(answer, time.GetUtcNow()));
    }

    private PayproAnswer? Authenticate(HttpRequest request, PayproFields? fields, string? bodyError)
    {
        var merchants = request.Headers[MerchantHeader];
        if (merchants.Count != 1 || merchants[0] != options.MerchantNo)
        {
            return PayproAnswer.Error(
                PayproAnswer.UnknownMerchant,
                merchants.Count == 0 ? "merchantNo header is missing" : "merchant does not exist");
        }
        if (fields is null)
        {
            return PayproAnswer.Parameter(bodyError!);
        }
        if (fields.MatchSignature([options.AppSecret], options.SaltPosition) < 0)
        {
            return PayproAnswer.Error(PayproAnswer.InvalidSign, fields.Sign is null ? "sign is missing" : "sign error");
        }
        return null;
    }

    private void RecordUnanswered(string endpoint, DateTimeOffset receivedAt, string? tradeNo, bool executed, FaultKind fault)
    {
        ledger.Record(endpoint, receivedAt, tradeNo, code: null, executed, fault);
        LogFault(endpoint, Loggable(tradeNo), fault, executed);
    }

    // The tradeNo is logged before it is validated; a malformed one (any length, line breaks) is not.
    private static string? Loggable(string? tradeNo) =>
        tradeNo is null || PayproValidation.TryValidateTradeNo(tradeNo, out _) ? tradeNo : "(malformed)";

    // The request was executed; the answer is withheld until the client closes the connection
    // (its timeout) or the sandbox stops.
    private async Task HoldUntilClientGivesUpAsync(HttpContext http)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (stop.Token.Register(() => released.TrySetResult()))
        {
            await released.Task.ConfigureAwait(false);
        }
    }

    /// <summary>The whole body, or null when it is larger than <see cref="MaxBodyBytes"/>.</summary>
    internal static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Endpoint} tradeNo {TradeNo}: {Code} {Message}")]
    private partial void LogAnswered(string endpoint, string? tradeNo, string code, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Endpoint} tradeNo {TradeNo}: fault {Fault} (executed: {Executed})")]
    private partial void LogFault(string endpoint, string? tradeNo, FaultKind fault, bool executed);
}
