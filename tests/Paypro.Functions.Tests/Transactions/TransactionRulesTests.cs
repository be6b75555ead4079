using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.Transactions;

public class TransactionRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    private static TransactionRecord Record(TransactionState state, long amount = 120) => new()
    {
        TradeNo = "T-1",
        Kind = TransactionKind.Payout,
        State = state,
        Amount = amount,
        Mobile = "254712345678",
        CreatedAt = Now,
        UpdatedAt = Now,
    };

    private static PayproObservation Observed(string status, decimal? amount = 120m, ObservationSource source = ObservationSource.Callback) =>
        new(source, status, status == "0000" ? "SUCCESS" : "REJECTED_TRANSACTION", "p-1", amount?.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture), amount, Now);

    [Theory]
    [InlineData(TransactionState.Submitting)]
    [InlineData(TransactionState.Unknown)]
    [InlineData(TransactionState.Submitted)]
    [InlineData(TransactionState.Processing)]
    public void Success_on_a_pending_transaction_moves_it_to_succeeded_with_one_event(TransactionState from)
    {
        var record = Record(from);
        var transition = TransactionRules.Decide(record, Observed("0000"));

        Assert.NotNull(transition);
        Assert.Equal(TransactionState.Succeeded, transition.To);
        Assert.Equal(TransactionRules.Succeeded, transition.EventName);
        TransactionRules.Apply(record, transition, Observed("0000"), Now);
        Assert.Equal(TransactionState.Succeeded, record.State);
        Assert.Equal("120.0000", record.PaidAmount);
        Assert.Equal(Now, record.FinalAt);
    }

    [Fact]
    public void Any_status_other_than_success_or_processing_is_a_failure_with_the_reason()
    {
        var record = Record(TransactionState.Submitted);
        var observation = Observed("00029");
        var transition = TransactionRules.Decide(record, observation)!;
        TransactionRules.Apply(record, transition, observation, Now);

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
        var transition = TransactionRules.Decide(record, processing)!;
        Assert.Equal(TransactionState.Processing, transition.To);
        Assert.Null(transition.EventName);
        TransactionRules.Apply(record, transition, processing, Now);

        Assert.Null(TransactionRules.Decide(record, processing));
    }

    [Theory]
    [InlineData(TransactionState.Succeeded, "0000")]
    [InlineData(TransactionState.Failed, "00029")]
    [InlineData(TransactionState.Succeeded, "0015")]
    [InlineData(TransactionState.Failed, "0015")]
    public void Duplicates_and_late_processing_on_a_final_transaction_change_nothing(TransactionState final, string status)
    {
        Assert.Null(TransactionRules.Decide(Record(final), Observed(status)));
    }

    [Theory]
    [InlineData(TransactionState.Succeeded, "00029")]
    [InlineData(TransactionState.Failed, "0000")]
    [InlineData(TransactionState.Rejected, "0000")]
    public void A_contradicting_result_on_a_final_transaction_is_an_anomaly_not_applied(TransactionState final, string status)
    {
        var record = Record(final);
        var observation = Observed(status);
        var transition = TransactionRules.Decide(record, observation)!;

        Assert.True(transition.IsAnomaly);
        Assert.Equal(final, transition.To);
        Assert.StartsWith(TransactionRules.AnomalyPrefix, transition.EventName);
        TransactionRules.Apply(record, transition, observation, Now);
        Assert.Equal(final, record.State);
        Assert.Single(record.Anomalies);
        // The same contradicting result again (Paypro retries callbacks) is not a second anomaly.
        Assert.Null(TransactionRules.Decide(record, observation));
    }

    [Fact]
    public void Another_amount_is_an_anomaly_and_the_transaction_stays_pending()
    {
        var record = Record(TransactionState.Submitted, amount: 120);
        var observation = Observed("0000", amount: 1200m);
        var transition = TransactionRules.Decide(record, observation)!;

        Assert.True(transition.IsAnomaly);
        TransactionRules.Apply(record, transition, observation, Now);
        Assert.Equal(TransactionState.Submitted, record.State);
        Assert.Contains("1200", record.Anomalies[0]);
    }

    [Fact]
    public void Amount_written_with_decimals_equal_to_the_whole_amount_is_not_an_anomaly()
    {
        var transition = TransactionRules.Decide(Record(TransactionState.Submitted, amount: 3), Observed("0000", amount: 3.0000m));
        Assert.Equal(TransactionState.Succeeded, transition!.To);
    }

    [Fact]
    public void Finish_refuses_to_change_a_final_state()
    {
        Assert.Throws<InvalidOperationException>(() => TransactionRules.Finish(Record(TransactionState.Succeeded), TransactionState.Failed, "x", Now, notSent: true));
    }

    [Fact]
    public void MarkUnknown_applies_only_to_a_transaction_whose_create_answer_is_missing()
    {
        var submitting = Record(TransactionState.Submitting);
        Assert.Equal(TransactionState.Unknown, TransactionRules.MarkUnknown(submitting, "timeout", Now)!.To);
        Assert.Null(TransactionRules.MarkUnknown(Record(TransactionState.Submitted), "timeout", Now));
        Assert.Null(TransactionRules.MarkUnknown(Record(TransactionState.Succeeded), "timeout", Now));
    }

    [Fact]
    public void States_are_ordered_forward_and_final_states_are_final()
    {
        Assert.True(TransactionState.Submitting.Rank() < TransactionState.Unknown.Rank());
        Assert.True(TransactionState.Unknown.Rank() < TransactionState.Submitted.Rank());
        Assert.True(TransactionState.Submitted.Rank() < TransactionState.Processing.Rank());
        Assert.All(new[] { TransactionState.Succeeded, TransactionState.Failed, TransactionState.Rejected }, s => Assert.True(s.IsFinal()));
        Assert.All(new[] { TransactionState.Submitting, TransactionState.Unknown, TransactionState.Submitted, TransactionState.Processing }, s => Assert.False(s.IsFinal()));
    }
}
