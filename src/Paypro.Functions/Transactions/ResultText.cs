using System.Globalization;

namespace Paypro.Functions.Transactions;

/// <summary>
/// How the app puts what Paypro answered into words, for the audit trail and anomaly texts: the one place that describes
/// a create answer, a query answer, a reported status and a transaction Paypro found.
/// </summary>
internal static class ResultText
{
    /// <summary>A create call's answer: <c>create: Accepted, code 0000, status 0015, serial S: detail</c>.</summary>
    public static string Of(PayproCreateResult result) =>
        Answer("create", result.Outcome.ToString(), result.Code, result.Status, statusMessage: null, result.SerialNumber, result.Detail);

    /// <summary>A status query's answer: <c>query: Found, code 0000, status 0015 (message): detail</c>.</summary>
    public static string Of(PayproQueryResult result) =>
        Answer(
            "query",
            result.Outcome.ToString(),
            result.Code,
            result.Transaction?.Status,
            result.Transaction?.Message,
            serial: null,
            result.Detail);

    /// <summary>
    /// A status reported by a callback, a query or the create call: <c>callback reported status 0000 (message) with amount 100</c>.
    /// </summary>
    public static string Of(PayproObservation observation) =>
        $"{observation.Source} reported {Status(observation.Status, observation.Message)}"
        + $" with amount {observation.AmountText ?? observation.Amount?.ToString(CultureInfo.InvariantCulture) ?? "no amount"}";

    /// <summary>A transaction Paypro found, as reconciliation compares it: status, amount and platFormTradeNo.</summary>
    public static string Of(PayproTransaction found) =>
        $"Paypro reports {Status(found.Status, found.Message)} with amount {found.AmountText ?? "none"}"
            + $" and platFormTradeNo {found.PlatFormTradeNo ?? "none"}";

    private static string Status(string status, string? message) =>
        $"status {status}" + (string.IsNullOrEmpty(message) ? "" : $" ({message})");

    private static string Answer(
        string call,
        string outcome,
        string? code,
        string? status,
        string? statusMessage,
        string? serial,
        string? detail)
    {
        var text = $"{call}: {outcome}";
        if (code is not null)
        {
            text += $", code {code}";
        }
        if (status is not null)
        {
            text += ", " + Status(status, statusMessage);
        }
        if (serial is not null)
        {
            text += $", serial {serial}";
        }
        if (detail is not null)
        {
            text += $": {detail}";
        }
        return text;
    }
}
