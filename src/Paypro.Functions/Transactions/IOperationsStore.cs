namespace Paypro.Functions.Transactions;

/// <summary>
/// What the operator's side keeps apart from the transactions: callbacks that belong to none (refused ones, and those
/// naming a tradeNo the app does not know), the reasons of the messages the app poisoned, and the retention cursor.
/// </summary>
public interface IOperationsStore
{
    /// <summary>
    /// Where a refused callback (forged, malformed, refused unsigned, not allowed) is recorded: never the partition of the transaction it
    /// names.
    /// </summary>
    const string Refused = "_refused";

    /// <summary>Where a callback naming a tradeNo the app does not know is recorded, for investigation.</summary>
    const string Unmatched = "_unmatched";

    /// <summary>
    /// Records a callback that belongs to no transaction, in <paramref name="partition"/> (<see cref="Refused"/> or
    /// <see cref="Unmatched"/>), with the tradeNo it claims.
    /// </summary>
    Task AppendAsideAsync(string partition, string? claimedTradeNo, AuditEntry entry, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the rows of <paramref name="partition"/> written before <paramref name="before"/>, at most <paramref name="max"/>; returns
    /// how many.
    /// </summary>
    Task<int> DeleteAsideBeforeAsync(string partition, DateTimeOffset before, int max, CancellationToken cancellationToken);

    /// <summary>Records why the app moved a message to a poison queue, keyed by the poison message's id.</summary>
    Task RecordPoisonReasonAsync(string poisonQueue, string poisonMessageId, string reason, CancellationToken cancellationToken);

    /// <summary>
    /// Why the app poisoned a message, or null when it did not (the host moves a message after its last failed delivery).
    /// </summary>
    Task<string?> GetPoisonReasonAsync(string poisonQueue, string poisonMessageId, CancellationToken cancellationToken);

    /// <summary>
    /// The last found answer to a status query on record (see <see cref="QueryChannel"/>), or null when there has been none.
    /// </summary>
    Task<QueryChannelMark?> GetQueryChannelMarkAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A status query under <paramref name="credentials"/> found <paramref name="tradeNo"/>; leaves what is known of failures as it is.
    /// </summary>
    Task RecordQueryFoundAsync(
        DateTimeOffset at,
        string credentials,
        string tradeNo,
        TransactionKind kind,
        CancellationToken cancellationToken);

    /// <summary>
    /// A status query under <paramref name="credentials"/> did not find a transaction Paypro had accepted; leaves the last found answer as
    /// it is.
    /// </summary>
    Task RecordQueryFailedAsync(DateTimeOffset at, string credentials, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the poison reasons recorded before <paramref name="before"/>, at most <paramref name="max"/>; returns how many.
    /// </summary>
    Task<int> DeletePoisonReasonsBeforeAsync(DateTimeOffset before, int max, CancellationToken cancellationToken);

    /// <summary>
    /// Asks audit retention to visit <paramref name="tradeNo"/> again once its row written at <paramref name="at"/> is past the
    /// retention: a transaction that gathered audit rows after its first visit (a late callback, a long-pending one's queries).
    /// </summary>
    Task ScheduleRevisitAsync(string tradeNo, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>The revisits due before <paramref name="before"/>, oldest first, at most <paramref name="max"/>.</summary>
    Task<IReadOnlyList<Revisit>> GetRevisitsBeforeAsync(DateTimeOffset before, int max, CancellationToken cancellationToken);

    Task RemoveRevisitAsync(Revisit revisit, CancellationToken cancellationToken);

    /// <summary>Where audit retention has got to in the creation index: every transaction created before it has been purged.</summary>
    Task<DateTimeOffset?> GetRetentionCursorAsync(CancellationToken cancellationToken);

    Task SetRetentionCursorAsync(DateTimeOffset createdBefore, CancellationToken cancellationToken);
}

/// <summary>A transaction audit retention is to visit again, once its row written at <see cref="At"/> is past the retention.</summary>
public sealed record Revisit(string TradeNo, DateTimeOffset At, string Key);
