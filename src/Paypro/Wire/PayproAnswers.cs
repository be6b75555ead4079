using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Paypro.Wire;

/// <summary>What came back from one call: an HTTP answer, or the reason there was none.</summary>
internal readonly record struct PayproExchange(int? HttpStatus, byte[]? Body, string? Failure)
{
    public static PayproExchange Failed(string reason) => new(null, null, reason);

    public bool IsSuccessStatus => HttpStatus is >= 200 and <= 299;
}

/// <summary>
/// Turns Paypro's answers into outcomes, following the semantics the project shares with its sandbox:
/// create calls are Accepted only on code 0000 with status 0000/0015, Refused only when Paypro says the
/// order was not executed, and Unknown otherwise; queries are Found on 0000 with data and NotFound on 8000.
/// </summary>
internal static class PayproAnswers
{
    private const string UnknownCreateSuffix =
        " Whether Paypro executed the order is unknown: query the tradeNo before doing anything else.";

    public static PayproCreateResult ToCreateResult(PayproExchange exchange)
    {
        if (exchange.Failure is { } failure)
        {
            return new() { Outcome = PayproOutcome.Unknown, Detail = failure + "." + UnknownCreateSuffix };
        }
        var envelope = TryReadEnvelope(exchange.Body, out var envelopeError);
        // data is the business result only when the request was accepted; next to any other code it
        // would be mistaken for a transaction status.
        var data = envelope?.Code == PayproStatus.RequestAccepted ? TryReadData(envelope, PayproJsonContext.Wire.CreateData, out _) : null;
        PayproCreateResult Result(PayproOutcome outcome, string? detail) => new()
        {
            Outcome = outcome,
            Code = envelope?.Code,
            Msg = envelope?.Msg,
            SerialNumber = data?.SerialNumber,
            Status = data?.Status,
            StatusMessage = data?.Message,
            CheckoutUrl = data is null ? null : FirstNonEmpty(data.PaymentUrl, data.CheckoutUrl, data.PayUrl, data.Url),
            HttpStatus = exchange.HttpStatus,
            Detail = detail,
        };

        if (!exchange.IsSuccessStatus)
        {
            return Result(PayproOutcome.Unknown, $"Paypro answered HTTP {exchange.HttpStatus}." + UnknownCreateSuffix);
        }
        if (envelope is null)
        {
            return Result(PayproOutcome.Unknown, envelopeError + UnknownCreateSuffix);
        }
        switch (envelope.Code)
        {
            case PayproStatus.RequestAccepted when string.IsNullOrEmpty(data?.Status):
                return Result(
                    PayproOutcome.Unknown,
                    "Paypro accepted the request (code 0000) but its answer has no data.status." + UnknownCreateSuffix);
            // What a status means is PayproStatus.Classify's alone: a create call is accepted unless its status is a failure.
            case PayproStatus.RequestAccepted when PayproStatus.Classify(data!.Status!) is not PayproStatusKind.Failed:
                return Result(PayproOutcome.Accepted, null);
            case PayproStatus.RequestAccepted:
                return Result(PayproOutcome.Refused, $"Paypro refused the transaction: status {data.Status}{Quoted(data.Message)}.");
            case PayproStatus.OrderError:
                return Result(
                    PayproOutcome.Refused,
                    $"Paypro refused the order (code 8000{Quoted(envelope.Msg)}); it was not executed. " +
                    "A new attempt needs a new tradeNo.");
            case PayproStatus.SystemException:
                return Result(
                    PayproOutcome.Unknown,
                    $"Paypro reported a system exception (code 5000{Quoted(envelope.Msg)})." + UnknownCreateSuffix);
            case null or "":
                return Result(PayproOutcome.Unknown, "Paypro's answer has no code." + UnknownCreateSuffix);
            default:
                return Result(PayproOutcome.Unknown, $"Paypro answered code {envelope.Code}{Quoted(envelope.Msg)}." + UnknownCreateSuffix);
        }
    }

    /// <param name="exchange">The answer.</param>
    /// <param name="expectedTradeNo">The tradeNo asked about; an answer about another one is not used.</param>
    /// <param name="notFoundDetail">What code 8000 means for this query.</param>
    public static PayproQueryResult ToQueryResult(PayproExchange exchange, string? expectedTradeNo, string notFoundDetail)
    {
        if (exchange.Failure is { } failure)
        {
            return new() { Outcome = PayproQueryOutcome.Unknown, Detail = failure + "." };
        }
        var envelope = TryReadEnvelope(exchange.Body, out var envelopeError);
        PayproQueryResult Result(PayproQueryOutcome outcome, string? detail, PayproTransaction? transaction = null) => new()
        {
            Outcome = outcome,
            Code = envelope?.Code,
            Msg = envelope?.Msg,
            HttpStatus = exchange.HttpStatus,
            Detail = detail,
            Transaction = transaction,
        };

        if (!exchange.IsSuccessStatus)
        {
            return Result(PayproQueryOutcome.Unknown, $"Paypro answered HTTP {exchange.HttpStatus}.");
        }
        if (envelope is null)
        {
            return Result(PayproQueryOutcome.Unknown, envelopeError);
        }
        switch (envelope.Code)
        {
            case PayproStatus.RequestAccepted:
                var data = TryReadData(envelope, PayproJsonContext.Wire.TransactionData, out var dataError);
                if (data is null || string.IsNullOrEmpty(data.Status))
                {
                    return Result(PayproQueryOutcome.Unknown, dataError ?? "Paypro's answer (code 0000) has no data.status.");
                }
                if (expectedTradeNo is not null && !string.IsNullOrEmpty(data.TradeNo) && data.TradeNo != expectedTradeNo)
                {
                    return Result(
                        PayproQueryOutcome.Unknown,
                        "Paypro answered about a different tradeNo than the one asked about; the answer was not used.");
                }
                return Result(PayproQueryOutcome.Found, null, new PayproTransaction
                {
                    PlatFormTradeNo = data.PlatFormTradeNo,
                    TradeNo = data.TradeNo,
                    Amount = ParseDecimal(data.Amount),
                    AmountText = data.Amount,
                    Status = data.Status,
                    Message = data.Message,
                    SuccessTimeUtc = KenyaTime.TryParseToUtc(data.SuccessTime, out var successTime) ? successTime : null,
                    MpesaReceiptNumber = data.MpesaReceiptNumber,
                });
            case PayproStatus.OrderError:
                return Result(PayproQueryOutcome.NotFound, notFoundDetail);
            case PayproStatus.SystemException:
                return Result(PayproQueryOutcome.Unknown, $"Paypro reported a system exception (code 5000{Quoted(envelope.Msg)}).");
            case null or "":
                return Result(PayproQueryOutcome.Unknown, "Paypro's answer has no code.");
            default:
                return Result(PayproQueryOutcome.Unknown, $"Paypro answered code {envelope.Code}{Quoted(envelope.Msg)}.");
        }
    }

    public static PayproBalanceResult ToBalanceResult(PayproExchange exchange, string balancePath)
    {
        if (exchange.Failure is { } failure)
        {
            return new() { Outcome = PayproQueryOutcome.Unknown, Detail = failure + "." };
        }
        var envelope = TryReadEnvelope(exchange.Body, out var envelopeError);
        PayproBalanceResult Result(PayproQueryOutcome outcome, string? detail, BalanceData? data = null) => new()
        {
            Outcome = outcome,
            AvailableAmount = ParseDecimal(data?.AvailableAmount),
            FreezeAmount = ParseDecimal(data?.FreezeAmount),
            UnsettledAmount = ParseDecimal(data?.UnsettledAmount),
            Code = envelope?.Code,
            Msg = envelope?.Msg,
            HttpStatus = exchange.HttpStatus,
            Detail = detail,
        };

        if (exchange.HttpStatus == 404)
        {
            return Result(PayproQueryOutcome.NotFound,
                $"Paypro answered HTTP 404 for {balancePath}: Paypro publishes no balance endpoint for Kenya; " +
                $"check {PayproClientOptions.SectionName}:BalancePath.");
        }
        if (!exchange.IsSuccessStatus)
        {
            return Result(PayproQueryOutcome.Unknown, $"Paypro answered HTTP {exchange.HttpStatus}.");
        }
        if (envelope is null)
        {
            return Result(PayproQueryOutcome.Unknown, envelopeError);
        }
        if (envelope.Code != PayproStatus.RequestAccepted)
        {
            return Result(
                PayproQueryOutcome.Unknown,
                string.IsNullOrEmpty(envelope.Code)
                    ? "Paypro's answer has no code."
                    : $"Paypro answered code {envelope.Code}{Quoted(envelope.Msg)}.");
        }
        var data = TryReadData(envelope, PayproJsonContext.Wire.BalanceData, out var dataError);
        if (data is null || ParseDecimal(data.AvailableAmount) is null)
        {
            return Result(PayproQueryOutcome.Unknown, dataError ?? "Paypro's answer (code 0000) has no readable data.availableAmount.");
        }
        return Result(PayproQueryOutcome.Found, null, data);
    }

    /// <summary>True when the body is a Paypro envelope with code 5000, which Paypro documents as "query again".</summary>
    public static bool IsSystemException(byte[]? body) => TryReadEnvelope(body, out _)?.Code == PayproStatus.SystemException;

    private static PayproEnvelope? TryReadEnvelope(byte[]? body, out string? error)
    {
        if (body is null || body.Length == 0)
        {
            error = "Paypro's answer is empty.";
            return null;
        }
        try
        {
            var envelope = JsonSerializer.Deserialize(body, PayproJsonContext.Wire.PayproEnvelope);
            error = envelope is null ? "Paypro's answer is JSON null." : null;
            return envelope;
        }
        catch (JsonException ex)
        {
            error = $"Paypro's answer is not a readable JSON envelope ({Where(ex)}).";
            return null;
        }
    }

    private static T? TryReadData<T>(PayproEnvelope envelope, JsonTypeInfo<T> typeInfo, out string? error)
        where T : class
    {
        if (envelope.Data is not { ValueKind: JsonValueKind.Object } data)
        {
            error = "Paypro's answer has no data object.";
            return null;
        }
        try
        {
            error = null;
            return data.Deserialize(typeInfo);
        }
        catch (JsonException ex)
        {
            error = $"Paypro's data object is not readable ({Where(ex)}).";
            return null;
        }
    }

    private static string Where(JsonException ex) =>
        ex.Path is { Length: > 1 } path ? $"at {path}"
        : ex.LineNumber is { } line ? $"line {line + 1}, byte {ex.BytePositionInLine + 1}"
        : "malformed";

    private static decimal? ParseDecimal(string? text) =>
        decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrEmpty(v));

    private static string Quoted(string? msg) => string.IsNullOrEmpty(msg) ? "" : $": {msg}";
}
