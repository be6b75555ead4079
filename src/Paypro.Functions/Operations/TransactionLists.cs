using System.Globalization;
using System.Text;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Operations;

/// <summary>A transaction in a listing: what finance needs to reconcile it. The mobile is masked.</summary>
public sealed record TransactionListItem : TransactionHeading
{
    private TransactionListItem(TransactionRecord record)
        : base(record)
    {
        CreatedAt = record.CreatedAt;
        FinalAt = record.FinalAt;
        PayproStatus = record.PayproStatus;
        PlatFormTradeNo = record.PlatFormTradeNo;
        MpesaReceiptNumber = record.MpesaReceiptNumber;
        NotSent = record.NotSent;
        Reason = record.Reason;
    }

    public DateTimeOffset CreatedAt { get; }

    public DateTimeOffset? FinalAt { get; }

    public string? PayproStatus { get; }

    public string? PlatFormTradeNo { get; }

    public string? MpesaReceiptNumber { get; }

    public bool NotSent { get; }

    public string? Reason { get; }

    public static TransactionListItem From(TransactionRecord record) => new(record);
}

/// <summary>A page of a listing; pass <see cref="ContinuationToken"/> back for the next one (null after the last).</summary>
public sealed record TransactionListPage(IReadOnlyList<TransactionListItem> Items, string? ContinuationToken);

/// <summary>An open transaction, from the due index.</summary>
public sealed record PendingItem(
    string TradeNo,
    string Kind,
    string State,
    DateTimeOffset CreatedAt,
    long AgeSeconds,
    bool Stuck,
    DateTimeOffset? StuckAt,
    DateTimeOffset NextCheckAt);

/// <summary>The open transactions, oldest first. <see cref="Truncated"/> when there were more than the listing reads at once.</summary>
public sealed record PendingList(IReadOnlyList<PendingItem> Items, bool Truncated);

/// <summary>What a listing asks for, checked.</summary>
public sealed record TransactionListQuery(
    DateTimeOffset From,
    DateTimeOffset To,
    TransactionKind? Kind,
    TransactionState? State,
    int PageSize,
    string? ContinuationToken)
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    /// <summary>Reads <c>from</c>, <c>to</c> (ISO 8601), <c>kind</c>, <c>state</c>, <c>pageSize</c> and <c>continuationToken</c>.</summary>
    public static bool TryParse(IQueryCollection query, out TransactionListQuery? parsed, out string? error)
    {
        parsed = null;
        if (!TryTime(query["from"], "from", out var from, out error) || !TryTime(query["to"], "to", out var to, out error))
        {
            return false;
        }
        if (to <= from)
        {
            error = "to must be later than from.";
            return false;
        }
        TransactionKind? kind = null;
        if (query["kind"].ToString() is { Length: > 0 } kindText)
        {
            if (!TransactionStateExtensions.TryParseWire(kindText, out TransactionKind parsedKind))
            {
                error = $"kind must be payout or payin; got '{Clip(kindText)}'.";
                return false;
            }
            kind = parsedKind;
        }
        TransactionState? state = null;
        if (query["state"].ToString() is { Length: > 0 } stateText)
        {
            if (!TransactionStateExtensions.TryParseWire(stateText, out TransactionState parsedState))
            {
                error = $"state must be one of {string.Join(", ", Enum.GetValues<TransactionState>().Select(s => s.ToWire()))}; " +
                    $"got '{Clip(stateText)}'.";
                return false;
            }
            state = parsedState;
        }
        var pageSize = DefaultPageSize;
        if (query["pageSize"].ToString() is { Length: > 0 } sizeText
            && (!int.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxPageSize))
        {
            error = $"pageSize must be a whole number from 1 to {MaxPageSize}.";
            return false;
        }
        var token = query["continuationToken"].ToString();
        parsed = new TransactionListQuery(from, to, kind, state, pageSize, token.Length == 0 ? null : token);
        error = null;
        return true;
    }

    private static bool TryTime(string? text, string name, out DateTimeOffset value, out string? error)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"{name} is required: an ISO 8601 time such as 2026-11-24T00:00:00Z (UTC unless an offset is given).";
            return false;
        }
        if (!DateTimeOffset.TryParse(
            text,
            CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
            out value))
        {
            error = $"{name} is not an ISO 8601 time such as 2026-11-24T00:00:00Z; got '{Clip(text)}'.";
            return false;
        }
        error = null;
        return true;
    }

    private static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "…";
}

/// <summary>
/// Listings for reconciliation and follow-up. A listing by creation time reads a range of the creation index and
/// one record per row, so its cost follows the rows returned; the pending list reads the due index.
/// </summary>
public sealed class TransactionLists(ITransactionStore store, IDueIndex due, ICreationIndex created, TimeProvider time)
{
    /// <summary>The most open transactions the pending list reads at once.</summary>
    public const int MaxPending = 1000;

    private const int ReadConcurrency = 16;

    public async Task<TransactionListPage> ListAsync(TransactionListQuery query, CancellationToken cancellationToken)
    {
        var page = await created.ListCreatedAsync(
                query.From,
                query.To,
                query.Kind,
                query.PageSize,
                query.ContinuationToken,
                cancellationToken)
            .ConfigureAwait(false);
        var records = await ReadAsync(page.Entries.Select(e => e.TradeNo).ToList(), cancellationToken).ConfigureAwait(false);
        var items = new List<TransactionListItem>(page.Entries.Count);
        foreach (var entry in page.Entries)
        {
            // An index row counts only when its record exists and was created at that time: a crash between the
            // index and the record, or the loser of a race on one tradeNo, leaves a row that names no creation.
            if (records.TryGetValue(entry.TradeNo, out var record) && record.CreatedAt == entry.CreatedAt
                && (query.State is null || record.State == query.State))
            {
                items.Add(TransactionListItem.From(record));
            }
        }
        return new TransactionListPage(items, page.ContinuationToken);
    }

    /// <summary>Every matching transaction as CSV, page by page, oldest first.</summary>
    public async Task WriteCsvAsync(TransactionListQuery query, Stream output, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), leaveOpen: true);
        await writer.WriteLineAsync(
            "tradeNo,kind,state,final,amount,mobile,createdAt,finalAt,payproStatus,platFormTradeNo,mpesaReceiptNumber,notSent,reason")
            .ConfigureAwait(false);
        var next = query with { PageSize = TransactionListQuery.MaxPageSize };
        while (true)
        {
            var page = await ListAsync(next, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                await writer.WriteLineAsync(string.Join(
                        ',',
                        Csv.Cell(item.TradeNo),
                        item.Kind,
                        item.State,
                        item.Final ? "true" : "false",
                        item.Amount.ToString(CultureInfo.InvariantCulture),
                        Csv.Cell(item.Mobile),
                        Csv.Time(item.CreatedAt),
                        Csv.Time(item.FinalAt),
                        Csv.Cell(item.PayproStatus),
                        Csv.Cell(item.PlatFormTradeNo),
                        Csv.Cell(item.MpesaReceiptNumber),
                        item.NotSent ? "true" : "false",
                        Csv.Cell(item.Reason)))
                    .ConfigureAwait(false);
            }
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (page.ContinuationToken is null)
            {
                return;
            }
            next = next with { ContinuationToken = page.ContinuationToken };
        }
    }

    public async Task<PendingList> PendingAsync(CancellationToken cancellationToken)
    {
        var scheduled = await due.GetScheduledAsync(MaxPending + 1, cancellationToken).ConfigureAwait(false);
        var truncated = scheduled.Count > MaxPending;
        // The entries come partition by partition: the soonest checks first, as the list promises.
        var nextCheck = scheduled
            .OrderBy(e => e.DueAt)
            .Take(MaxPending)
            .GroupBy(e => e.TradeNo)
            .ToDictionary(g => g.Key, g => g.Min(e => e.DueAt));
        var records = await ReadAsync([.. nextCheck.Keys], cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var items = records.Values
            .Where(record => !record.State.IsFinal())
            .OrderBy(record => record.CreatedAt)
            .Select(record => new PendingItem(record.TradeNo, record.Kind.ToWire(), record.State.ToWire(), record.CreatedAt,
                (long)(now - record.CreatedAt).TotalSeconds, record.StuckAt is not null, record.StuckAt, nextCheck[record.TradeNo]))
            .ToList();
        return new PendingList(items, truncated);
    }

    private async Task<Dictionary<string, TransactionRecord>> ReadAsync(IReadOnlyList<string> tradeNos, CancellationToken cancellationToken)
    {
        var records = new System.Collections.Concurrent.ConcurrentDictionary<string, TransactionRecord>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(
            tradeNos.Distinct(StringComparer.Ordinal),
            new ParallelOptions { MaxDegreeOfParallelism = ReadConcurrency, CancellationToken = cancellationToken },
            async (tradeNo, token) =>
            {
                if (await store.GetAsync(tradeNo, token).ConfigureAwait(false) is { } record)
                {
                    records[tradeNo] = record;
                }
            }).ConfigureAwait(false);
        return new Dictionary<string, TransactionRecord>(records, StringComparer.Ordinal);
    }
}
