
namespace Paypro.Functions.Telemetry;

/// <summary>
/// The alert markers. Each is the event name of its log entry and the first word of its message, so the alert
/// rules and the dashboard (which query the message), the tests (which read the event name) and the code share
/// one constant.
/// </summary>
internal static class LogMarkers
{
    /// <summary>
    /// A callback was refused: forged, unsigned under the Reject policy, malformed, oversized, or from outside the allow-list.
    /// </summary>
    public const string CallbackRejected = "PAYPRO_CALLBACK_REJECTED";

    /// <summary>A message that can never succeed went to its poison queue.</summary>
    public const string PoisonMessage = "PAYPRO_POISON_MESSAGE";

    /// <summary>A transaction has been pending longer than Poll:StuckAfter.</summary>
    public const string TransactionStuck = "PAYPRO_TRANSACTION_STUCK";

    /// <summary>Paypro reported a result that contradicts the record; kept, announced, not applied.</summary>
    public const string Anomaly = "PAYPRO_ANOMALY";

    /// <summary>Paypro's status queries are not known to work: none found a transaction within Poll:QueryChannelWindow.</summary>
    public const string QueriesFailing = "PAYPRO_QUERIES_FAILING";

    /// <summary>
    /// The worst anomaly: a transaction failed as never sent, yet Paypro reports it paid; a retry with a new tradeNo pays twice.
    /// </summary>
    public const string PaidNotSent = "PAYPRO_PAID_NOT_SENT";

    /// <summary>A reconciliation run left a day incomplete: some of its transactions could not be checked, and the line says why.</summary>
    public const string ReconciliationIncomplete = "PAYPRO_RECONCILIATION_INCOMPLETE";

    /// <summary>
    /// A payout was held instead of sent (over Controls:ApprovalThreshold, or it would pass a day limit); it waits for an operator.
    /// </summary>
    public const string PayoutHeld = "PAYPRO_PAYOUT_HELD";
}

/// <summary>The app's log entries, with their event ids (1xxx) and names; the Key Vault secret store declares its own (41xx).</summary>
internal static partial class FunctionsLog
{
    [LoggerMessage(EventId = 1001, EventName = LogMarkers.CallbackRejected, Level = LogLevel.Warning,
        Message = LogMarkers.CallbackRejected + " {Verdict} from {SourceIp}: {Reason}")]
    public static partial void CallbackRejected(this ILogger logger, string verdict, string sourceIp, string reason);

    [LoggerMessage(EventId = 1002, EventName = LogMarkers.PoisonMessage, Level = LogLevel.Error,
        Message = LogMarkers.PoisonMessage + " message {MessageId} from {Queue} moved to {PoisonQueue}: {Reason}")]
    public static partial void MessagePoisoned(this ILogger logger, string messageId, string queue, string poisonQueue, string reason);

    [LoggerMessage(EventId = 1004, EventName = LogMarkers.TransactionStuck, Level = LogLevel.Error,
        Message = LogMarkers.TransactionStuck + " {Kind} {TradeNo} has been {State} since {CreatedAt:O}")]
    public static partial void TransactionStuck(this ILogger logger, string kind, string tradeNo, string state, DateTimeOffset createdAt);

    [LoggerMessage(EventId = 1005, EventName = LogMarkers.Anomaly, Level = LogLevel.Warning,
        Message = LogMarkers.Anomaly + " {Kind} {TradeNo}: {Anomaly}")]
    public static partial void Anomaly(this ILogger logger, string kind, string tradeNo, string? anomaly);

    [LoggerMessage(EventId = 1006, EventName = LogMarkers.QueriesFailing, Level = LogLevel.Error,
        Message = LogMarkers.QueriesFailing + " status queries are not known to work: {Why}, and none found a transaction within {Window}."
            + " No transaction is declared never sent until one does; check Paypro:MerchantNo, Paypro:SaltPosition and the app secret.")]
    public static partial void QueriesUnproven(this ILogger logger, string why, TimeSpan window);

    [LoggerMessage(EventId = 1008, EventName = LogMarkers.PaidNotSent, Level = LogLevel.Critical,
        Message = LogMarkers.PaidNotSent + " {Kind} {TradeNo} failed as never sent, yet Paypro reports it paid: {Anomaly}."
            + " A retry with a new tradeNo pays twice: stop any retry, and take it up with Paypro.")]
    public static partial void PaidNotSent(this ILogger logger, string kind, string tradeNo, string? anomaly);

    [LoggerMessage(EventId = 1009, EventName = LogMarkers.ReconciliationIncomplete, Level = LogLevel.Error,
        Message = LogMarkers.ReconciliationIncomplete + " Kenya day {Day}: {Unchecked} transaction(s) could not be checked: {Why}."
            + " The next run tries them again.")]
    public static partial void ReconciliationIncomplete(this ILogger logger, string day, int @unchecked, string why);

    [LoggerMessage(EventId = 1060, Level = LogLevel.Information,
        Message = "Reconciliation of Kenya day {Day} (pass {Pass}): {Queried} queried this run;"
            + " {Agreed} agreed, {Disagreed} disagreed, {Pending} pending,"
            + " {Unchecked} could not be checked, {Rejected} rejected; {State}.")]
    public static partial void Reconciled(
        this ILogger logger,
        string day,
        int pass,
        int queried,
        int agreed,
        int disagreed,
        int pending,
        int @unchecked,
        int rejected,
        string state);

    [LoggerMessage(EventId = 1061, Level = LogLevel.Warning,
        Message = "Reconciliation query of {TradeNo} failed; it counts as not checked and is tried again.")]
    public static partial void ReconcileCheckFailed(this ILogger logger, Exception exception, string tradeNo);

    [LoggerMessage(EventId = 1062, Level = LogLevel.Warning,
        Message = "Reconciliation cancelled its running queries at {HardStop}, before host.json's functionTimeout;"
            + " what they found is asked again by the next run.")]
    public static partial void ReconcileHardStopped(this ILogger logger, TimeSpan hardStop);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning,
        Message = "What a status query showed of the query channel could not be recorded; the next answer records it.")]
    public static partial void QueryChannelNotRecorded(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "{Kind} {TradeNo} {From} -> {To} ({Source})")]
    public static partial void Transitioned(this ILogger logger, string kind, string tradeNo, string from, string to, string source);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning,
        Message = "Due entry of final {TradeNo} not removed yet; the poller will clear it.")]
    public static partial void DueEntryNotRemoved(this ILogger logger, Exception exception, string tradeNo);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Warning,
        Message = "An event of {TradeNo} went out but is not recorded as sent; the poller will send it once more.")]
    public static partial void UnsentNotRecorded(this ILogger logger, Exception exception, string tradeNo);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning,
        Message = "Due entry of {TradeNo} has no record after {Age}; kept until the record insert can no longer succeed ({Window}).")]
    public static partial void OrphanKept(this ILogger logger, string tradeNo, TimeSpan age, TimeSpan window);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Warning,
        Message = "Due entry of {TradeNo} removed: no record was written within {Window}.")]
    public static partial void OrphanRemoved(this ILogger logger, string tradeNo, TimeSpan window);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning,
        Message = "Event {EventName} of {TradeNo} not sent yet; the poller will send it.")]
    public static partial void EventNotSent(this ILogger logger, Exception exception, string eventName, string tradeNo);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Debug, Message = "The failed delivery of message {MessageId} could not be recorded.")]
    public static partial void DeliveryFailureNotRecorded(this ILogger logger, Exception exception, string messageId);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Information,
        Message = "{Kind} {TradeNo} is being submitted by another instance; this delivery does nothing.")]
    public static partial void SubmittedElsewhere(this ILogger logger, string kind, string tradeNo);

    [LoggerMessage(EventId = 1027, Level = LogLevel.Information,
        Message = "{Kind} {TradeNo}: the record insert's answer was lost and the retry conflicted with it;"
            + " the record carries this attempt's nonce, so the create call goes ahead.")]
    public static partial void OwnInsertRecognised(this ILogger logger, string kind, string tradeNo);

    [LoggerMessage(EventId = 1022, Level = LogLevel.Information,
        Message = "{Kind} {TradeNo} for {Amount} to {Mobile}: {Detail}; now {State}")]
    public static partial void CreateCallAnswered(
        this ILogger logger,
        string kind,
        string tradeNo,
        long amount,
        string mobile,
        string detail,
        string state);

    [LoggerMessage(EventId = 1023, Level = LogLevel.Warning,
        Message = "{Kind} message for existing {TradeNo} is invalid ({Reason}); the transaction is unchanged.")]
    public static partial void InvalidMessageForExisting(this ILogger logger, string kind, string tradeNo, string reason);

    [LoggerMessage(EventId = 1024, Level = LogLevel.Warning,
        Message = "{Kind} {TradeNo}: a message with this tradeNo but another request ({Differences}) arrived;"
            + " the tradeNo is already {State} as a {ExistingKind},"
            + " nothing is sent, and the conflict is kept as an anomaly.")]
    public static partial void ConflictingDuplicate(
        this ILogger logger,
        string kind,
        string tradeNo,
        string state,
        string existingKind,
        string differences);

    [LoggerMessage(EventId = 1025, Level = LogLevel.Information,
        Message = "{Kind} {TradeNo} is already {State}; duplicate delivery ignored.")]
    public static partial void DuplicateDelivery(this ILogger logger, string kind, string tradeNo, string state);

    [LoggerMessage(EventId = 1026, Level = LogLevel.Information, Message = "{Kind} {TradeNo} accepted over HTTP and enqueued.")]
    public static partial void AcceptedOverHttp(this ILogger logger, string kind, string tradeNo);

    [LoggerMessage(EventId = 1030, Level = LogLevel.Warning,
        Message = "Callback for unknown tradeNo {TradeNo} recorded for investigation (status {Status}).")]
    public static partial void CallbackForUnknownTradeNo(this ILogger logger, string tradeNo, string status);

    [LoggerMessage(EventId = 1031, Level = LogLevel.Error,
        Message = "Callback not processed: storage or secret unavailable; answering 503 so Paypro retries.")]
    public static partial void CallbackNotProcessed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1040, Level = LogLevel.Warning, Message = "Check of {TradeNo} failed; it stays due.")]
    public static partial void CheckFailed(this ILogger logger, Exception exception, string tradeNo);

    [LoggerMessage(EventId = 1041, Level = LogLevel.Information,
        Message = "Poll: {Due} due in {Batches} batch(es), {Checked} checked, {Failed} failed,"
            + " {Skipped} left for the next run (past due: {PastDue}).")]
    public static partial void Polled(this ILogger logger, int due, int batches, int @checked, int failed, int skipped, bool pastDue);

    [LoggerMessage(EventId = 1043, Level = LogLevel.Warning,
        Message = "Poll cancelled its running checks at {HardStop}, before host.json's functionTimeout ({FunctionTimeout}):"
            + " {Due} due taken, {Checked} checked; the rest stay due.")]
    public static partial void PollHardStopped(this ILogger logger, TimeSpan hardStop, TimeSpan functionTimeout, int due, int @checked);

    [LoggerMessage(EventId = 1042, Level = LogLevel.Warning, Message = "The pending and poison gauges could not be refreshed.")]
    public static partial void GaugesNotRefreshed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1050, Level = LogLevel.Warning,
        Message = "Poison message {MessageId} (tradeNo {TradeNo}) re-submitted to {Queue} by an operator.")]
    public static partial void PoisonRedriven(this ILogger logger, string messageId, string? tradeNo, string queue);

    [LoggerMessage(EventId = 1051, Level = LogLevel.Information,
        Message = "Audit retention: {Deleted} rows older than {Cutoff:O} deleted ({Outcome}).")]
    public static partial void AuditPurged(this ILogger logger, int deleted, DateTimeOffset cutoff, string outcome);

    [LoggerMessage(EventId = 1052, Level = LogLevel.Information,
        Message = "Storage ready: tables and queues {Payouts}, {Payins}, {Events} exist.")]
    public static partial void StorageReady(this ILogger logger, string payouts, string payins, string events);

    [LoggerMessage(EventId = 1070, EventName = LogMarkers.PayoutHeld, Level = LogLevel.Warning,
        Message = LogMarkers.PayoutHeld + " payout {TradeNo} of {Amount} KES to {Mobile} held ({Control}): {Reason}"
            + " Release or cancel it with the master key.")]
    public static partial void PayoutHeld(this ILogger logger, string tradeNo, long amount, string mobile, string control, string reason);

    [LoggerMessage(EventId = 1071, Level = LogLevel.Warning, Message = "Held payout {TradeNo} {Outcome} by {Caller}: {Reason}")]
    public static partial void HoldEnded(this ILogger logger, string tradeNo, string outcome, string caller, string reason);

    [LoggerMessage(EventId = 1072, Level = LogLevel.Warning,
        Message = "What a payout took from the day limits' counts of {Day} could not be given back;"
            + " the count stays higher, which can only hold a payout early.")]
    public static partial void CountNotGivenBack(this ILogger logger, Exception exception, string day);

    [LoggerMessage(EventId = 1073, Level = LogLevel.Warning,
        Message = "The held payouts could not be looked at for expiry and the gauges; the next poll tries again.")]
    public static partial void HeldNotMaintained(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1074, Level = LogLevel.Information, Message = "{TradeNo} taken off the held list: it is {State} now.")]
    public static partial void HeldEntryCleared(this ILogger logger, string tradeNo, string state);
}

