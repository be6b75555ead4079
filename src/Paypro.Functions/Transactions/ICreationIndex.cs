namespace Paypro.Functions.Transactions;

/// <summary>A row of the creation index: which transaction was created when.</summary>
public sealed record CreatedEntry(string TradeNo, TransactionKind Kind, DateTimeOffset CreatedAt)
{
    /// <summary>Where a listing goes on after this entry: pass it as the continuation token.</summary>
    public string? Key { get; init; }
}

/// <summary>A page of the creation index and the token of the next one (null after the last).</summary>
public sealed record CreatedPage(IReadOnlyList<CreatedEntry> Entries, string? ContinuationToken);

/// <summary>The creation index: every transaction by its creation time, written with its first due entry, before its record.</summary>
public interface ICreationIndex
{
    /// <summary>
    /// One page of the transactions created in [<paramref name="from"/>, <paramref name="to"/>), oldest first; its cost
    /// follows the rows returned, not the history kept.
    /// </summary>
    Task<CreatedPage> ListCreatedAsync(
        DateTimeOffset from,
        DateTimeOffset to,
        TransactionKind? kind,
        int pageSize,
        string? continuationToken,
        CancellationToken cancellationToken);
}
