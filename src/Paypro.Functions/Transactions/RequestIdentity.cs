using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Paypro.Functions.Transactions;

/// <summary>
/// The one definition of "the same request" for a tradeNo, for the queues and the HTTP submit alike: kind, tradeNo,
/// amount, mobile (as sent to Paypro), remark, notifyUrl and metadata; not the traceparent, which names the caller's
/// trace, not the transaction. The app's own notify URL counts as no notifyUrl: it is what an absent one means, and it
/// holds the function key, which no record keeps.
/// </summary>
public sealed class RequestIdentity
{
    private static readonly string[] FieldNames = ["kind", "tradeNo", "amount", "mobile", "remark", "notifyUrl", "metadata"];

    private readonly string[] _fields;

    private RequestIdentity(string[] fields) => _fields = fields;

    /// <summary>A request as it arrived; <paramref name="appNotifyUrl"/> is Paypro:NotifyUrl.</summary>
    public static RequestIdentity Of(TransactionKind kind, TransactionRequest request, Uri? appNotifyUrl) =>
        From(
            kind,
            request.TradeNo,
            request.Amount,
            request.Mobile,
            request.Remark,
            StoredNotifyUrl(request.NotifyUrl, appNotifyUrl),
            request.MetadataJson);

    /// <summary>The request a record was made from.</summary>
    public static RequestIdentity Of(TransactionRecord record, Uri? appNotifyUrl) =>
        From(
            record.Kind,
            record.TradeNo,
            record.Amount,
            record.Mobile,
            record.Remark,
            StoredNotifyUrl(Uri.TryCreate(record.NotifyUrl, UriKind.Absolute, out var url) ? url : null, appNotifyUrl),
            record.MetadataJson);

    /// <summary>
    /// The notifyUrl a record keeps: the producer's own, or none when it is absent or the app's own (which holds the function key).
    /// </summary>
    public static string? StoredNotifyUrl(Uri? requested, Uri? appNotifyUrl) =>
        requested is null
            || (appNotifyUrl is not null
                && Uri.Compare(requested, appNotifyUrl, UriComponents.AbsoluteUri, UriFormat.UriEscaped, StringComparison.Ordinal) == 0)
            ? null
            : requested.AbsoluteUri;

    /// <summary>A digest of every field, for keeping beside a request (the HTTP intake row).</summary>
    public string Digest => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', _fields))));

    public bool SameAs(RequestIdentity other) => _fields.AsSpan().SequenceEqual(other._fields);

    /// <summary>The names of the fields that differ from <paramref name="other"/>, for a message that names no value.</summary>
    public IReadOnlyList<string> Differences(RequestIdentity other) =>
        [.. FieldNames.Where((_, i) => !string.Equals(_fields[i], other._fields[i], StringComparison.Ordinal))];

    private static RequestIdentity From(
        TransactionKind kind,
        string tradeNo,
        long amount,
        string mobile,
        string? remark,
        string? notifyUrl,
        string? metadataJson) =>
        new(
        [
            kind.ToWire(),
            tradeNo,
            amount.ToString(CultureInfo.InvariantCulture),
            mobile,
            remark ?? "",
            notifyUrl ?? "",
            metadataJson ?? "",
        ]);
}
