using System.Globalization;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.Transactions;

/// <summary>
/// The state machine as a table: every observation the rules know against every state, with what the rules
/// decide, and the details (what is recorded, the reasons) of each kind of change. Pure functions: no storage.
/// </summary>
public class TransactionRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan StuckAfter = TimeSpan.FromHours(24);

    /// <summary>Everything a rule can be asked about.</summary>
    public enum Observation
    {
        ReportSuccess,
        ReportFailure,
        ReportProcessing,
        ReportSuccessOtherAmount,
        ReportFailureOtherAmount,
        ReportProcessingOtherAmount,
        CreateAccepted,
        CreateAcceptedWithoutStatus,
        CreateAcceptedSucceeded,
        CreateRefusedWithStatus,
        CreateRefused,
        CreateUnknown,
        ClientRefused,
        QueryNotFoundWithinGrace,
        QueryNotFoundAfterGrace,
        QueryNotFoundAfterGraceChannelUnproven,
        QueryNoAnswer,
        StuckCheckOld,
        StuckCheckYoung,
        UnsignedHint,
        Release,
        Cancel,
    }

    private static readonly TransactionState[] States =
    [
        TransactionState.Submitting, TransactionState.Unknown, TransactionState.Submitted, TransactionState.Processing,
        TransactionState.Succeeded, TransactionState.Failed, TransactionState.Rejected, TransactionState.Held,
    ];

    /// <summary>
    /// What each observation does in each state. "-" is no change; "state" a change without an event; "state!event" a
    /// change that announces an event; "anomaly" a contradicting result kept and announced, not applied; "stuck" the
    /// stuck flag (state unchanged, announced); "check"/"ignore" what an unsigned callback leads to.
    /// </summary>
    private static readonly Dictionary<Observation, string[]> Table = new()
    {
        //    submitting             unknown                submitted              processing
        //    succeeded              failed                 rejected               held
        [Observation.ReportSuccess] =
            ["succeeded!succeeded", "succeeded!succeeded", "succeeded!succeeded", "succeeded!succeeded",
             "-",                   "anomaly",             "anomaly",             "anomaly"],
        [Observation.ReportFailure] =
            ["failed!failed",       "failed!failed",       "failed!failed",       "failed!failed",
             "anomaly",             "-",                   "anomaly",             "anomaly"],
        [Observation.ReportProcessing] =
            ["processing",          "processing",          "processing",          "-",
             "-",                   "-",                   "-",                   "anomaly"],
        [Observation.ReportSuccessOtherAmount] =
            ["anomaly",             "anomaly",             "anomaly",             "anomaly",
             "anomaly",             "anomaly",             "anomaly",             "anomaly"],
        [Observation.ReportFailureOtherAmount] =
            ["anomaly",             "anomaly",             "anomaly",             "anomaly",
             "anomaly",             "anomaly",             "anomaly",             "anomaly"],
        [Observation.ReportProcessingOtherAmount] =
            ["processing",          "processing",          "processing",          "-",
             "-",                   "-",                   "-",                   "anomaly"],
        [Observation.CreateAccepted] =
            ["submitted",           "submitted",           "-",                   "-",
             "-",                   "-",                   "-",                   "-"],
        [Observation.CreateAcceptedWithoutStatus] =
            ["submitted",           "submitted",           "-",                   "-",
             "-",                   "-",                   "-",                   "-"],
        [Observation.CreateAcceptedSucceeded] =
            ["succeeded!succeeded", "succeeded!succeeded", "succeeded!succeeded", "succeeded!succeeded",
             "-",                   "anomaly",             "anomaly",             "-"],
        [Observation.CreateRefusedWithStatus] =
            ["failed!failed",       "failed!failed",       "failed!failed",       "failed!failed",
             "anomaly",             "-",                   "anomaly",             "-"],
        [Observation.CreateRefused] =
            ["failed!failed",       "failed!failed",       "anomaly",             "anomaly",
             "anomaly",             "-",                   "-",                   "-"],
        [Observation.CreateUnknown] =
            ["unknown",             "-",                   "-",                   "-",
             "-",                   "-",                   "-",                   "-"],
        [Observation.ClientRefused] =
            ["rejected!rejected",   "rejected!rejected",   "rejected!rejected",   "rejected!rejected",
             "-",                   "-",                   "-",                   "-"],
        [Observation.QueryNotFoundWithinGrace] =
            ["unknown",             "-",                   "-",                   "-",
             "-",                   "-",                   "-",                   "-"],
        [Observation.QueryNotFoundAfterGrace] =
            ["failed!failed",       "failed!failed",       "-",                   "-",
             "-",                   "-",                   "-",                   "-"],
        [Observation.QueryNotFoundAfterGraceChannelUnproven] =
            ["unknown",             "-",                   "-",                   "-",
             "-",                   "-",                   "-",                   "-"],
        [Observation.QueryNoAnswer] =
            ["unknown",             "-",                   "-",                   "-",
             "-",                   "-",                   "-",                   "-"],
        [Observation.StuckCheckOld] =
            ["stuck",               "stuck",               "stuck",               "stuck",
             "-",                   "-",                   "-",                   "-"],
        [Observation.StuckCheckYoung] =
            ["-",                   "-",                   "-",                   "-",
             "-",                   "-",                   "-",                   "-"],
        [Observation.Release] = ["-", "-", "-", "-", "-", "-", "-", "submitting"],
        [Observation.Cancel] = ["-", "-", "-", "-", "-", "-", "-", "rejected!rejected"],
        [Observation.UnsignedHint] =
            ["check",               "check",               "check",               "check",
             "ignore",              "ignore",              "ignore",              "ignore"],
    };

    public static TheoryData<Observation, TransactionState, string> Cells()
    {
        var data = new TheoryData<Observation, TransactionState, string>();
        foreach (var (observation, row) in Table)
        {
            for (var i = 0; i < States.Length; i++)
            {
                data.Add(observation, States[i], row[i]);
            }
        }
        return data;
    }

    [Fact]
    public void The_table_covers_every_state_and_every_observation()
    {
        Assert.Equal(Enum.GetValues<Observation>().Order(), Table.Keys.Order());
        Assert.Equal(Enum.GetValues<TransactionState>().Order(), States.Order());
        Assert.All(Table.Values, row => Assert.Equal(States.Length, row.Length));
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Each_observation_in_each_state_decides_what_the_table_says(Observation observation, TransactionState state, string expected)
    {
        var record = Record(state);
        var before = Snapshot(record);

        var outcome = Decide(record, observation);

        Assert.Equal(expected, outcome);
        // The rules describe the change; they never make it.
        Assert.Equal(before, Snapshot(record));
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void A_change_applied_is_what_it_said_and_never_leaves_a_final_state(
        Observation observation,
        TransactionState state,
        string expected)
    {
        if (observation == Observation.UnsignedHint)
        {
            return;
        }
        var record = Record(state);
        var transition = TransitionFor(record, observation);
        if (transition is null)
        {
            Assert.DoesNotContain('!', expected);
            return;
        }
        TransactionProcessor.Apply(record, transition, Now);

        Assert.Equal(transition is StateChange change ? change.To : state, record.State);
        Assert.Equal(Now, record.UpdatedAt);
        if (state.IsFinal())
        {
            Assert.Equal(state, record.State);
        }
        Assert.True(record.State.Rank() >= state.Rank());
        if (record.State.IsFinal() && !state.IsFinal())
        {
            Assert.Equal(Now, record.FinalAt);
        }
    }

    [Theory]
    [InlineData(TransactionState.Submitting)]
    [InlineData(TransactionState.Unknown)]
    [InlineData(TransactionState.Submitted)]
    [InlineData(TransactionState.Processing)]
    public void Success_on_a_pending_transaction_records_what_Paypro_reported(TransactionState from)
    {
        var record = Record(from);
        var transition = TransactionRules.OnReport(record, Observed("0000"))!;
        TransactionProcessor.Apply(record, transition, Now);

        Assert.Equal(TransactionState.Succeeded, record.State);
        Assert.Equal(TransactionRules.Succeeded, transition.EventName);
        Assert.Equal("120.0000", record.PaidAmount);
        Assert.Equal("0000", record.PayproStatus);
        Assert.Equal("p-1", record.PlatFormTradeNo);
        Assert.Equal(Now, record.SuccessTimeUtc);
        Assert.Equal(Now, record.FinalAt);
    }

    [Fact]
    public void Any_status_other_than_success_or_processing_is_a_failure_with_the_reason()
    {
        var record = Record(TransactionState.Submitted);
        var transition = TransactionRules.OnReport(record, Observed("00029"))!;
        TransactionProcessor.Apply(record, transition, Now);

        Assert.Equal(TransactionState.Failed, record.State);
        Assert.Equal(TransactionRules.Failed, transition.EventName);
        Assert.Contains("00029", record.Reason);
        Assert.Contains("REJECTED_TRANSACTION", record.Reason);
        Assert.False(record.NotSent);
    }

    [Fact]
    public void Processing_moves_forward_without_an_event_and_only_once()
    {
        var record = Record(TransactionState.Submitted);
        var processing = Observed("0015");
        var transition = Assert.IsType<StateChange>(TransactionRules.OnReport(record, processing));
        Assert.Equal(TransactionState.Processing, transition.To);
        Assert.Null(transition.EventName);
        TransactionProcessor.Apply(record, transition, Now);

        Assert.Null(TransactionRules.OnReport(record, processing));
    }

    [Theory]
    [InlineData(TransactionState.Succeeded, "00029")]
    [InlineData(TransactionState.Failed, "0000")]
    [InlineData(TransactionState.Rejected, "0000")]
    public void A_contradicting_result_on_a_final_transaction_is_kept_once_and_not_applied(TransactionState final, string status)
    {
        var record = Record(final);
        var observation = Observed(status);
        var transition = Assert.IsType<AnomalyKept>(TransactionRules.OnReport(record, observation));

        Assert.StartsWith(TransactionRules.AnomalyPrefix, transition.EventName);
        TransactionProcessor.Apply(record, transition, Now);
        Assert.Equal(final, record.State);
        Assert.Single(record.Anomalies);
        // The same contradicting result again (Paypro retries callbacks) is not a second anomaly.
        Assert.Null(TransactionRules.OnReport(record, observation));
        // Another contradicting result is.
        Assert.NotNull(TransactionRules.OnReport(record, Observed(status, amount: 999m)));
    }

    [Fact]
    public void Another_amount_is_an_anomaly_and_the_transaction_stays_pending()
    {
        var record = Record(TransactionState.Submitted, amount: 120);
        var transition = Assert.IsType<AnomalyKept>(TransactionRules.OnReport(record, Observed("0000", amount: 1200m)));

        TransactionProcessor.Apply(record, transition, Now);
        Assert.Equal(TransactionState.Submitted, record.State);
        Assert.Null(record.PayproStatus);
        Assert.Contains("1200", record.Anomalies[0]);
    }

    [Fact]
    public void Amount_written_with_decimals_equal_to_the_whole_amount_is_not_an_anomaly()
    {
        var transition = TransactionRules.OnReport(Record(TransactionState.Submitted, amount: 3), Observed("0000", amount: 3.0000m));
        Assert.Equal(TransactionState.Succeeded, Assert.IsType<StateChange>(transition).To);
    }

    [Fact]
    public void An_accepted_create_call_records_Paypros_serial_and_clears_the_unknown_reason()
    {
        var record = Record(TransactionState.Unknown);
        record.Reason = "Outcome of the create call unknown (timeout); resolving by query.";
        TransactionProcessor.Apply(record, TransactionRules.OnCreateAnswer(record, Create(PayproOutcome.Accepted, "0015"))!, Now);

        Assert.Equal(TransactionState.Submitted, record.State);
        Assert.Equal("S-1", record.SerialNumber);
        Assert.Equal("0015", record.PayproStatus);
        Assert.Null(record.Reason);
        Assert.Null(record.FinalAt);
    }

    [Fact]
    public void A_refused_create_call_fails_the_transaction_as_never_sent_with_Paypros_code()
    {
        var record = Record(TransactionState.Submitting);
        TransactionProcessor.Apply(
            record,
            TransactionRules.OnCreateAnswer(record, Create(PayproOutcome.Refused, null, code: "8000", msg: "order error"))!,
            Now);

        Assert.Equal(TransactionState.Failed, record.State);
        Assert.True(record.NotSent);
        Assert.Contains("code 8000: order error", record.Reason);
        Assert.Contains("new tradeNo", record.Reason);
    }

    [Fact]
    public void An_unknown_create_outcome_says_it_is_resolved_by_query()
    {
        var record = Record(TransactionState.Submitting);
        var transition = TransactionRules.OnCreateAnswer(record, Create(PayproOutcome.Unknown, null, detail: "timeout"))!;
        TransactionProcessor.Apply(record, transition, Now);

        Assert.Null(transition.EventName);
        Assert.Equal(TransactionState.Unknown, record.State);
        Assert.Contains("timeout", record.Reason);
        Assert.False(record.NotSent);
    }

    [Fact]
    public void Not_found_after_the_grace_period_fails_it_as_never_sent_counting_from_the_send()
    {
        var record = Record(TransactionState.Unknown);
        record.SubmittedAt = Now - Grace;
        TransactionProcessor.Apply(record, TransactionRules.OnQueryNotFound(record, Now, Grace, channelKnownGood: true)!, Now);

        Assert.Equal(TransactionState.Failed, record.State);
        Assert.True(record.NotSent);
        Assert.Contains("00:30:00 after it was sent", record.Reason);
        Assert.Contains("the money never left", record.Reason);

        var young = Record(TransactionState.Unknown);
        young.SubmittedAt = Now - Grace + TimeSpan.FromSeconds(1);
        Assert.Null(TransactionRules.OnQueryNotFound(young, Now, Grace, channelKnownGood: true));
    }

    [Fact]
    public void Not_found_after_the_grace_period_while_queries_are_not_known_to_work_leaves_it_unknown_and_says_why()
    {
        var record = Record(TransactionState.Submitting);
        record.SubmittedAt = Now - Grace - TimeSpan.FromHours(1);
        TransactionProcessor.Apply(record, TransactionRules.OnQueryNotFound(record, Now, Grace, channelKnownGood: false)!, Now);

        Assert.Equal(TransactionState.Unknown, record.State);
        Assert.False(record.NotSent);
        Assert.Contains("not known to work", record.Reason);
    }

    [Theory]
    [InlineData(TransactionState.Submitted)]
    [InlineData(TransactionState.Processing)]
    public void A_refusal_arriving_after_Paypro_accepted_the_request_is_an_anomaly_and_not_a_failure(TransactionState state)
    {
        var record = Record(state);
        var transition = Assert.IsType<AnomalyKept>(
            TransactionRules.OnCreateAnswer(record, Create(PayproOutcome.Refused, null, code: "8000")));
        TransactionProcessor.Apply(record, transition, Now);

        Assert.Equal("anomaly-refused-8000", transition.EventName);
        Assert.Equal(state, record.State);
        Assert.False(record.NotSent);
        Assert.Contains(
            "refused the create call (code 8000) after the transaction was already " + state.ToWire(),
            Assert.Single(record.Anomalies));
        Assert.Null(TransactionRules.OnCreateAnswer(record, Create(PayproOutcome.Refused, null, code: "8000")));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("0015")]
    public void An_accepted_answer_arriving_after_the_transaction_failed_as_never_sent_is_an_anomaly(string? status)
    {
        var record = Record(TransactionState.Failed);
        record.NotSent = true;
        var transition = Assert.IsType<AnomalyKept>(TransactionRules.OnCreateAnswer(record, Create(PayproOutcome.Accepted, status)));
        TransactionProcessor.Apply(record, transition, Now);

        Assert.Equal("anomaly-accepted-" + (status ?? "none"), transition.EventName);
        Assert.Equal(TransactionState.Failed, record.State);
        Assert.Contains("after the transaction was failed as never sent", Assert.Single(record.Anomalies));

        // Failed because Paypro said so, an accepted answer agrees with nothing and changes nothing.
        var reported = Record(TransactionState.Failed);
        Assert.Null(TransactionRules.OnCreateAnswer(reported, Create(PayproOutcome.Accepted, status)));
    }

    [Fact]
    public void An_invalid_request_is_rejected_as_never_sent_and_announced()
    {
        var record = Record(TransactionState.Submitting);
        var transition = TransactionRules.OnInvalidRequest("amount: must be a whole number");
        TransactionProcessor.Apply(record, transition, Now);

        Assert.Equal(TransactionRules.Rejected, transition.EventName);
        Assert.Equal(TransactionState.Rejected, record.State);
        Assert.True(record.NotSent);
        Assert.Equal("amount: must be a whole number", record.Reason);
        Assert.Equal(Now, record.FinalAt);
        Assert.Equal(TransactionState.Submitting, TransactionRules.OnNewRequest().To);
        Assert.Null(TransactionRules.OnNewRequest().EventName);
    }

    [Fact]
    public void The_stuck_flag_is_set_once_keeps_the_state_and_is_announced()
    {
        var record = Record(TransactionState.Processing);
        var transition = TransactionRules.OnStuckCheck(record, Now + StuckAfter, StuckAfter)!;
        TransactionProcessor.Apply(record, transition, Now + StuckAfter);

        Assert.Equal(TransactionRules.Stuck, transition.EventName);
        Assert.Equal(TransactionState.Processing, record.State);
        Assert.Equal(Now + StuckAfter, record.StuckAt);
        Assert.Null(TransactionRules.OnStuckCheck(record, Now + StuckAfter * 2, StuckAfter));
    }

    [Fact]
    public void One_mapping_from_Paypro_status_to_state()
    {
        Assert.Equal(TransactionState.Succeeded, TransactionRules.StateFor(PayproStatus.Classify("0000")));
        Assert.Equal(TransactionState.Processing, TransactionRules.StateFor(PayproStatus.Classify("0015")));
        Assert.Equal(TransactionState.Failed, TransactionRules.StateFor(PayproStatus.Classify("00029")));
        Assert.Equal(TransactionState.Failed, TransactionRules.StateFor(PayproStatus.Classify("00031")));
        Assert.Equal(TransactionState.Failed, TransactionRules.StateFor(PayproStatus.Classify("9999")));
    }

    [Fact]
    public void States_are_ordered_forward_and_final_states_are_final()
    {
        Assert.True(TransactionState.Submitting.Rank() < TransactionState.Unknown.Rank());
        Assert.True(TransactionState.Unknown.Rank() < TransactionState.Submitted.Rank());
        Assert.True(TransactionState.Submitted.Rank() < TransactionState.Processing.Rank());
        Assert.All(new[] { TransactionState.Succeeded, TransactionState.Failed, TransactionState.Rejected }, s => Assert.True(s.IsFinal()));
        Assert.All(
            new[] { TransactionState.Submitting, TransactionState.Unknown, TransactionState.Submitted, TransactionState.Processing },
            s => Assert.False(s.IsFinal()));
        // Held comes first: nothing was sent. It is not final, but at rest: the poller only sends its events.
        Assert.True(TransactionState.Held.Rank() < TransactionState.Submitting.Rank());
        Assert.False(TransactionState.Held.IsFinal());
        Assert.True(TransactionState.Held.IsAtRest());
        Assert.All(Enum.GetValues<TransactionState>().Where(s => s != TransactionState.Held), s => Assert.Equal(s.IsFinal(), s.IsAtRest()));
    }

    [Fact]
    public void A_held_payout_is_announced_with_the_control_that_held_it_and_records_when()
    {
        var record = Record(TransactionState.Submitting);
        record.SubmittedAt = null;
        var transition = TransactionRules.OnHold("Held for approval: 50000 KES is over Controls:ApprovalThreshold (10000 KES).");

        TransactionProcessor.Apply(record, transition, Now);

        Assert.Equal(TransactionState.Held, record.State);
        Assert.Equal(TransactionRules.Held, transition.EventName);
        Assert.Equal("payout.held", TransactionEvents.EventType(record.Kind, transition.EventName!));
        Assert.Equal(Now, record.HeldAt);
        Assert.Null(record.SubmittedAt);
        Assert.StartsWith("Held for approval", record.Reason, StringComparison.Ordinal);
        Assert.False(record.NotSent);
    }

    [Fact]
    public void A_release_clears_the_hold_reason_counts_and_starts_the_grace_period_from_the_release()
    {
        var record = Record(TransactionState.Held);
        record.Reason = "Held for approval";
        record.HeldAt = Now;
        var released = Now.AddHours(2);
        var counted = new CountedLimits("20261124", [new CountedPart(3, 120, 1)], Mobile: true);

        TransactionProcessor.Apply(record, TransactionRules.OnRelease(record, counted)!, released);

        Assert.Equal(TransactionState.Submitting, record.State);
        Assert.Null(record.Reason);
        Assert.Equal(released, record.ReleasedAt);
        Assert.Equal(released, record.SubmittedAt);
        Assert.Equal(counted, record.Counted);
        Assert.Equal(Now, record.HeldAt);
        // Released once: a second release finds it submitting and changes nothing, and it can no longer be cancelled.
        Assert.Null(TransactionRules.OnRelease(record, counted));
        Assert.Null(TransactionRules.OnCancel(record, "too late"));
    }

    [Fact]
    public void A_cancel_rejects_the_held_payout_as_never_sent_with_the_operators_reason()
    {
        var record = Record(TransactionState.Held);
        var transition = TransactionRules.OnCancel(record, "Cancelled by an operator (10.0.0.1): duplicate run")!;

        TransactionProcessor.Apply(record, transition, Now);

        Assert.Equal(TransactionState.Rejected, record.State);
        Assert.True(record.NotSent);
        Assert.Equal("Cancelled by an operator (10.0.0.1): duplicate run", record.Reason);
        Assert.Equal(Now, record.FinalAt);
        Assert.Null(TransactionRules.OnRelease(record, null));
    }

    [Theory]
    [InlineData("20261206;m;3:5000:1,4:2000:0")]
    [InlineData("20261206;-;")]
    [InlineData("20261206;m;15:1:1")]
    public void What_a_payout_counted_is_stored_and_read_back_exactly(string text)
    {
        var counted = CountedLimits.Parse(text);

        Assert.NotNull(counted);
        Assert.Equal(text, counted.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("2026;m;1:1:1")]
    [InlineData("20261206;m;1:x:1")]
    [InlineData("20261206;m;1:-5:1")]
    public void Counted_text_this_version_cannot_read_gives_nothing_back(string? text) => Assert.Null(CountedLimits.Parse(text));

    private static string Decide(TransactionRecord record, Observation observation)
    {
        if (observation == Observation.UnsignedHint)
        {
            return TransactionRules.OnUnsignedHint(record) == UnsignedHintAnswer.CheckNow ? "check" : "ignore";
        }
        var transition = TransitionFor(record, observation);
        return transition switch
        {
            null => "-",
            AnomalyKept => "anomaly",
            StuckFlag => "stuck",
            StateChange { EventName: { } name } change => change.To.ToWire() + "!" + name,
            StateChange change => change.To.ToWire(),
            _ => throw new InvalidOperationException($"A transition of another kind: {transition}"),
        };
    }

    private static Transition? TransitionFor(TransactionRecord record, Observation observation) => observation switch
    {
        Observation.ReportSuccess => TransactionRules.OnReport(record, Observed("0000")),
        Observation.ReportFailure => TransactionRules.OnReport(record, Observed("00029")),
        Observation.ReportProcessing => TransactionRules.OnReport(record, Observed("0015")),
        Observation.ReportSuccessOtherAmount => TransactionRules.OnReport(record, Observed("0000", amount: 1200m)),
        Observation.ReportFailureOtherAmount => TransactionRules.OnReport(record, Observed("00029", amount: 1200m)),
        Observation.ReportProcessingOtherAmount => TransactionRules.OnReport(record, Observed("0015", amount: 1200m)),
        Observation.CreateAccepted => TransactionRules.OnCreateAnswer(record, Create(PayproOutcome.Accepted, "0015")),
        Observation.CreateAcceptedWithoutStatus => TransactionRules.OnCreateAnswer(record, Create(PayproOutcome.Accepted, null)),
        Observation.CreateAcceptedSucceeded => TransactionRules.OnCreateAnswer(record, Create(PayproOutcome.Accepted, "0000")),
        Observation.CreateRefusedWithStatus => TransactionRules.OnCreateAnswer(record, Create(PayproOutcome.Refused, "00029")),
        Observation.CreateRefused => TransactionRules.OnCreateAnswer(record, Create(PayproOutcome.Refused, null, code: "8000")),
        Observation.CreateUnknown => TransactionRules.OnCreateAnswer(record, Create(PayproOutcome.Unknown, null, detail: "timeout")),
        Observation.ClientRefused => TransactionRules.OnNotSent(record, "mobile: not a Kenyan M-Pesa number"),
        Observation.QueryNotFoundWithinGrace =>
            TransactionRules.OnQueryNotFound(record, Now + Grace - TimeSpan.FromSeconds(1), Grace, channelKnownGood: true),
        Observation.QueryNotFoundAfterGrace => TransactionRules.OnQueryNotFound(record, Now + Grace, Grace, channelKnownGood: true),
        Observation.QueryNotFoundAfterGraceChannelUnproven =>
            TransactionRules.OnQueryNotFound(record, Now + Grace, Grace, channelKnownGood: false),
        Observation.QueryNoAnswer => TransactionRules.OnNoAnswer(record),
        Observation.StuckCheckOld => TransactionRules.OnStuckCheck(record, Now + StuckAfter, StuckAfter),
        Observation.StuckCheckYoung => TransactionRules.OnStuckCheck(record, Now + StuckAfter - TimeSpan.FromSeconds(1), StuckAfter),
        Observation.Release => TransactionRules.OnRelease(record, null),
        Observation.Cancel => TransactionRules.OnCancel(record, "Cancelled by an operator (10.0.0.1): duplicate commission run"),
        _ => throw new ArgumentOutOfRangeException(nameof(observation)),
    };

    private static TransactionRecord Record(TransactionState state, long amount = 120) => new()
    {
        TradeNo = "T-1",
        Kind = TransactionKind.Payout,
        State = state,
        Amount = amount,
        Mobile = "254712345678",
        CreatedAt = Now,
        UpdatedAt = Now,
        SubmittedAt = Now,
    };

    private static PayproObservation Observed(
        string status,
        decimal? amount = 120m,
        ObservationSource source = ObservationSource.Callback) =>
        new(
            source,
            status,
            status == "0000" ? "SUCCESS" : "REJECTED_TRANSACTION",
            "p-1",
            amount?.ToString("0.0000", CultureInfo.InvariantCulture),
            amount,
            Now);

    private static PayproCreateResult Create(
        PayproOutcome outcome,
        string? status,
        string? code = "0000",
        string? msg = null,
        string? detail = null) => new()
    {
        Outcome = outcome,
        Code = code,
        Msg = msg,
        Status = status,
        SerialNumber = outcome == PayproOutcome.Unknown ? null : "S-1",
        Detail = detail,
    };

    private static string Snapshot(TransactionRecord record) =>
        string.Join(
            "|",
            record.State,
            record.Reason,
            record.NotSent,
            record.FinalAt,
            record.UpdatedAt,
            record.PayproStatus,
            record.SerialNumber,
            record.PaidAmount,
            record.StuckAt,
            record.Anomalies.Count);
}
