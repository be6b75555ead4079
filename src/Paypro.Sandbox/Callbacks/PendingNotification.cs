using System.Text;

namespace Paypro.Sandbox.Callbacks;

/// <summary>A callback being delivered. State and attempt count change only under the dispatcher's lock.</summary>
internal sealed class PendingNotification
{
    public required long Id { get; init; }

    public required SandboxTransactionKind Kind { get; init; }

    public required string TradeNo { get; init; }

    public required string Status { get; init; }

    /// <summary>The Paypro path that created the transaction; callback faults match on it.</summary>
    public required string Endpoint { get; init; }

    public required Uri? Target { get; init; }

    public required byte[] Body { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public long? DuplicateOf { get; init; }

    public CallbackState State { get; set; } = CallbackState.Pending;

    public int Attempts { get; set; }

    /// <summary>Whether delivery began; a reordered callback may be released before its own caller marks it held.</summary>
    public bool Started { get; set; }

    public FaultKind? Fault { get; set; }

    public string? MaskedTarget => Target is null ? null : MaskQuery(Target);

    public CallbackNotification Snapshot() =>
        new(Id, Kind, TradeNo, Status, MaskedTarget, Encoding.UTF8.GetString(Body), CreatedAt, State, Attempts, DuplicateOf, Fault);

    /// <summary>
    /// The URL with every query value replaced by <c>***</c>: a notify URL carries the app's function
    /// key as <c>?code=</c>, which must not reach logs or test output.
    /// </summary>
    public static string MaskQuery(Uri uri)
    {
        var path = uri.GetLeftPart(UriPartial.Path);
        if (uri.Query.Length <= 1)
        {
            return path;
        }
        var masked = new StringBuilder(path).Append('?');
        var first = true;
        foreach (var pair in uri.Query[1..].Split('&'))
        {
            var equals = pair.IndexOf('=');
            masked.Append(first ? "" : "&").Append(equals < 0 ? pair : pair[..equals]).Append("=***");
            first = false;
        }
        return masked.ToString();
    }
}
