using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Operations;

/// <summary>What a release or a cancel did.</summary>
public enum HoldOutcome
{
    Released,
    AlreadyReleased,
    Cancelled,
    AlreadyCancelled,

    /// <summary>The payout is not held, and was not released or cancelled from held either.</summary>
    NotHeld,

    /// <summary>No payout has this tradeNo.</summary>
    NotFound,

    /// <summary>Payouts are paused (the platform's switch on SubmitPayout): a release would send one behind the pause.</summary>
    Paused,
}

/// <summary>
/// The operator's side of the held payouts: the list, a release (sent at once through the submit path, exactly once), a
/// cancel (rejected, nothing sent), and the expiry of those held longer than <c>Controls:HoldExpiry</c>. Each release and
/// cancel is decided by one conditional write of the record, so a repeated request or two instances racing change it once;
/// each request is in the payout's audit trail with the caller's address and reason.
/// </summary>
public sealed class HeldPayouts
{
    /// <summary>The most held payouts one listing (and one expiry pass) reads.</summary>
    public const int MaxListed = 1000;

    /// <summary>The submit function whose platform switch pauses payouts.</summary>
    public const string SubmitPayoutFunction = "SubmitPayout";

    private readonly ITransactionStore _store;
    private readonly IDueIndex _due;
    private readonly IControlsStore _controlsStore;
    private readonly PayoutControls _controls;
    private readonly TransactionProcessor _processor;
    private readonly TransactionSubmitter _submitter;
    private readonly IConfiguration _configuration;
    private readonly PollOptions _poll;
    private readonly TimeProvider _time;
    private readonly ILogger<HeldPayouts> _logger;

    public HeldPayouts(
        ITransactionStore store,
        IDueIndex due,
        IControlsStore controlsStore,
        PayoutControls controls,
        TransactionProcessor processor,
        TransactionSubmitter submitter,
        IConfiguration configuration,
        IOptions<PollOptions> poll,
        TimeProvider time,
        ILogger<HeldPayouts> logger)
    {
        _store = store;
        _due = due;
        _controlsStore = controlsStore;
        _controls = controls;
        _processor = processor;
        _submitter = submitter;
        _configuration = configuration;
        _poll = poll.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>Whether payouts are paused with the platform's switch on <see cref="SubmitPayoutFunction"/>.</summary>
    public bool PayoutsPaused => FunctionSwitch.IsDisabled(_configuration, SubmitPayoutFunction);

    /// <summary>
    /// The held payouts, oldest first, each read from its record; list entries left by a payout that is no longer held are cleared.
    /// </summary>
    public async Task<HeldList> ListAsync(CancellationToken cancellationToken)
    {
        var held = new List<HeldView>();
        foreach (var entry in await _controlsStore.GetHeldAsync(MaxListed, cancellationToken).ConfigureAwait(false))
        {
            var record = await _store.GetAsync(entry.TradeNo, cancellationToken).ConfigureAwait(false);
            if (record?.State == TransactionState.Held)
            {
                held.Add(new HeldView(TransactionView.From(record, null), (record.HeldAt ?? entry.HeldAt) + _controls.Options.HoldExpiry));
                continue;
            }
            await ClearStaleAsync(entry, record, cancellationToken).ConfigureAwait(false);
        }
        return new HeldList(held.Count, held.Sum(h => h.Transaction.Amount), held);
    }

    /// <summary>
    /// Releases a held payout: counted for the day limits from now on (past a limit too), moved to submitting by a write
    /// conditional on the record as read, and sent at once through the submit path by the request that wrote it.
    /// </summary>
    public async Task<(HoldOutcome Outcome, TransactionRecord? Record)> ReleaseAsync(
        string tradeNo,
        string reason,
        string caller,
        CancellationToken cancellationToken)
    {
        if (await GetPayoutAsync(tradeNo, cancellationToken).ConfigureAwait(false) is not { } record)
        {
            return (HoldOutcome.NotFound, null);
        }
        if (record.State != TransactionState.Held || PayoutsPaused)
        {
            var refused = record.State != TransactionState.Held ? EndedAs(record, released: true) : HoldOutcome.Paused;
            await AuditRefusalAsync(record, "release", refused, reason, caller, cancellationToken).ConfigureAwait(false);
            return (refused, record);
        }

        var now = _time.GetUtcNow();
        // A due entry before the change: from submitting on the poller follows the payout up, whatever happens after this write.
        var (entry, _) = await _due.EnsureDueAsync(
                tradeNo,
                record.IndexPartition,
                now + _poll.FirstCheckAfter,
                record.CreatedAt,
                cancellationToken)
            .ConfigureAwait(false);
        record.DueETag = entry.ETag;
        var counted = await _controls.CountReleasedAsync(record.Amount, record.Mobile, now, cancellationToken).ConfigureAwait(false);
        var (stored, transition) = await _processor.UpdateAsync(
                record,
                (current, _) => TransactionRules.OnRelease(current, counted),
                "operator",
                $"released by {caller}: {reason}",
                (current, change) => OperatorAudit(change is null ? "release-refused" : "released", reason, caller),
                cancellationToken)
            .ConfigureAwait(false);
        if (transition is null)
        {
            // Another request (a repeat, or another instance) changed it first: what this one counted goes back.
            if (counted is not null)
            {
                await _controls.GiveBackAsync(counted, record.Mobile, record.Amount, cancellationToken).ConfigureAwait(false);
            }
            return (EndedAs(stored, released: true), stored);
        }
        await EndHoldAsync(stored, "released", caller, reason, cancellationToken).ConfigureAwait(false);
        using var activity = TransactionTracing.StartWork(
            TransactionTracing.Submit,
            stored.TraceParent,
            stored.TradeNo,
            stored.Kind.ToWire());
        stored = await _submitter.SendAsync(stored, activity, cancellationToken).ConfigureAwait(false);
        return (HoldOutcome.Released, stored);
    }

    /// <summary>Cancels a held payout: rejected with the operator's reason, announced, and nothing goes to Paypro.</summary>
    public async Task<(HoldOutcome Outcome, TransactionRecord? Record)> CancelAsync(
        string tradeNo,
        string reason,
        string caller,
        CancellationToken cancellationToken)
    {
        if (await GetPayoutAsync(tradeNo, cancellationToken).ConfigureAwait(false) is not { } record)
        {
            return (HoldOutcome.NotFound, null);
        }
        return await CancelAsync(
                record,
                $"Cancelled by an operator ({caller}): {reason}",
                reason,
                caller,
                "cancelled",
                cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>The payout <paramref name="tradeNo"/> names, or null when there is none (a payin is not one).</summary>
    private async Task<TransactionRecord?> GetPayoutAsync(string tradeNo, CancellationToken cancellationToken) =>
        await _store.GetAsync(tradeNo, cancellationToken).ConfigureAwait(false) is { Kind: TransactionKind.Payout } record
            ? record
            : null;

    /// <summary>
    /// Once per poll: cancels the payouts held longer than <c>Controls:HoldExpiry</c>, clears list entries of payouts no longer
    /// held, and refreshes the held and day gauges. A failure is logged; the next poll tries again.
    /// </summary>
    public async Task MaintainAsync(CancellationToken cancellationToken)
    {
        try
        {
            var now = _time.GetUtcNow();
            var expiry = _controls.Options.HoldExpiry;
            long count = 0, amount = 0;
            foreach (var entry in await _controlsStore.GetHeldAsync(MaxListed, cancellationToken).ConfigureAwait(false))
            {
                if (now - entry.HeldAt < expiry)
                {
                    count++;
                    amount += entry.Amount;
                    continue;
                }
                var record = await _store.GetAsync(entry.TradeNo, cancellationToken).ConfigureAwait(false);
                if (record?.State == TransactionState.Held && now - (record.HeldAt ?? entry.HeldAt) >= expiry)
                {
                    var reason = $"held longer than Controls:HoldExpiry ({TransactionRules.FormatSpan(expiry)}) without a release";
                    await CancelAsync(
                            record,
                            $"Cancelled: {reason}; nothing was sent.",
                            reason,
                            "expiry",
                            "expired",
                            cancellationToken)
                        .ConfigureAwait(false);
                    continue;
                }
                await ClearStaleAsync(entry, record, cancellationToken).ConfigureAwait(false);
            }
            ControlsSnapshot.SetHeld(count, amount);
            var day = await _controls.GetDayAsync(now, cancellationToken).ConfigureAwait(false);
            ControlsSnapshot.SetDay(day?.Amount, day?.Count, _controls.Options.DailyAmountLimit, _controls.Options.DailyCountLimit);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.HeldNotMaintained(ex);
        }
    }

    private async Task<(HoldOutcome Outcome, TransactionRecord? Record)> CancelAsync(
        TransactionRecord record,
        string recordedReason,
        string reason,
        string caller,
        string outcome,
        CancellationToken cancellationToken)
    {
        if (record.State != TransactionState.Held)
        {
            var refused = EndedAs(record, released: false);
            await AuditRefusalAsync(record, "cancel", refused, reason, caller, cancellationToken).ConfigureAwait(false);
            return (refused, record);
        }
        var (stored, transition) = await _processor.UpdateAsync(
                record,
                (current, _) => TransactionRules.OnCancel(current, recordedReason),
                "operator",
                $"{outcome} by {caller}: {reason}",
                (current, change) => OperatorAudit(change is null ? "cancel-refused" : outcome, reason, caller),
                cancellationToken)
            .ConfigureAwait(false);
        if (transition is null)
        {
            return (EndedAs(stored, released: false), stored);
        }
        await EndHoldAsync(stored, outcome, caller, reason, cancellationToken).ConfigureAwait(false);
        return (HoldOutcome.Cancelled, stored);
    }

    /// <summary>A request that found the payout no longer held: what became of the hold, as the record tells it.</summary>
    private static HoldOutcome EndedAs(TransactionRecord record, bool released) =>
        record.ReleasedAt is not null ? (released ? HoldOutcome.AlreadyReleased : HoldOutcome.NotHeld)
        : record.HeldAt is not null && record.State == TransactionState.Rejected
            ? (released ? HoldOutcome.NotHeld : HoldOutcome.AlreadyCancelled)
        : HoldOutcome.NotHeld;

    private static AuditEntry OperatorAudit(string verdict, string reason, string caller) =>
        new("operator", verdict, reason, SourceIp: caller);

    private async Task AuditRefusalAsync(
        TransactionRecord record,
        string request,
        HoldOutcome outcome,
        string reason,
        string caller,
        CancellationToken cancellationToken) =>
        await _store.AppendAuditAsync(
                record.TradeNo,
                OperatorAudit($"{request}-refused", $"{outcome} (state {record.State.ToWire()}): {reason}", caller),
                cancellationToken)
            .ConfigureAwait(false);

    private async Task EndHoldAsync(
        TransactionRecord record,
        string outcome,
        string caller,
        string reason,
        CancellationToken cancellationToken)
    {
        FunctionsMetrics.HoldsEnded.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        _logger.HoldEnded(record.TradeNo, outcome, caller, reason);
        try
        {
            await _controlsStore.RemoveHeldAsync(record.TradeNo, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The listing and the next poll clear an entry whose payout is no longer held.
            _logger.HeldNotMaintained(ex);
        }
    }

    /// <summary>
    /// A list entry whose payout is not held: released or cancelled (the entry outlived its removal), or a record whose insert
    /// lost to another delivery. Cleared, except while the record's insert may still land.
    /// </summary>
    private async Task ClearStaleAsync(HeldEntry entry, TransactionRecord? record, CancellationToken cancellationToken)
    {
        if (record is null && _time.GetUtcNow() - entry.HeldAt <= _store.RecordInsertWindow)
        {
            return;
        }
        await _controlsStore.RemoveHeldAsync(entry.TradeNo, cancellationToken).ConfigureAwait(false);
        _logger.HeldEntryCleared(entry.TradeNo, record?.State.ToWire() ?? "not recorded");
    }
}
