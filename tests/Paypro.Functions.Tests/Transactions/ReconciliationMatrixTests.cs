using Paypro.Functions.Transactions;


namespace Paypro.Functions.Tests.Transactions;

/// <summary>
/// The comparison matrix of docs/operations.md as a table: a final transaction against Paypro's answer, what disagrees, and
/// what is recorded. Pure functions: no storage.
/// </summary>
public class ReconciliationMatrixTests
{
    private const string Platform = "5286e98841194687a95d25b5f3be346d";

    public enum Recorded
    {
        Succeeded,
        Failed,
        FailedNotSent,
    }

    [Theory]
    [InlineData(Recorded.Succeeded, "0000", "120.0000", Platform, "")]
    [InlineData(Recorded.Succeeded, "00029", "120.0000", Platform, "State")]
    [InlineData(Recorded.Succeeded, "0015", "120.0000", Platform, "State")]
    [InlineData(Recorded.Succeeded, "0000", "150.0000", Platform, "Amount")]
    [InlineData(Recorded.Succeeded, "00029", "150", Platform, "State,Amount")]
    [InlineData(Recorded.Succeeded, "0000", "120", "another", "PlatFormTradeNo")]
    [InlineData(Recorded.Succeeded, "0000", null, null, "")]
    [InlineData(Recorded.Failed, "00029", "120.0000", Platform, "")]
    [InlineData(Recorded.Failed, "0000", "120.0000", Platform, "State")]
    [InlineData(Recorded.FailedNotSent, "00029", "120.0000", Platform, "")]
    [InlineData(Recorded.FailedNotSent, "0015", "120.0000", Platform, "State")]
    [InlineData(Recorded.FailedNotSent, "0000", "120.0000", Platform, "PaidNotSent")]
    public void A_found_answer_disagrees_in_state_class_amount_and_platFormTradeNo(
        Recorded recorded,
        string status,
        string? amount,
        string? platFormTradeNo,
        string expected)
    {
        var record = Record(recorded);

        var disagreements = ReconciliationMatrix.Compare(record, Found(status, amount, platFormTradeNo));

        Assert.Equal(expected, string.Join(',', disagreements.SelectMany(d => d.Kinds)));
        Assert.All(disagreements, d => Assert.StartsWith("reconciliation: ", d.Text, StringComparison.Ordinal));
        Assert.All(disagreements, d => Assert.Contains($"status {status}", d.Text, StringComparison.Ordinal));
        Assert.Equal(expected == "PaidNotSent", disagreements.Any(d => d.Critical));
    }

    [Fact]
    public void Not_known_to_Paypro_agrees_only_for_a_transaction_that_never_reached_it()
    {
        Assert.Null(ReconciliationMatrix.CompareNotFound(Record(Recorded.FailedNotSent)));
        var succeeded = Assert.IsType<Disagreement>(ReconciliationMatrix.CompareNotFound(Record(Recorded.Succeeded)));
        Assert.Equal([DisagreementKind.UnknownToPaypro], succeeded.Kinds);
        Assert.Equal("anomaly-notfound", succeeded.Key);
        Assert.Equal([DisagreementKind.UnknownToPaypro], ReconciliationMatrix.CompareNotFound(Record(Recorded.Failed))!.Kinds);
    }

    [Fact]
    public void Pending_ones_are_listed_and_rejected_ones_are_not_compared()
    {
        var record = Record(Recorded.Succeeded);
        Assert.Null(ReconciliationMatrix.Classify(record));
        record.State = TransactionState.Processing;
        Assert.Equal(ReconcileOutcome.Pending, ReconciliationMatrix.Classify(record));
        record.State = TransactionState.Rejected;
        Assert.Equal(ReconcileOutcome.Rejected, ReconciliationMatrix.Classify(record));
    }

    [Fact]
    public void Each_disagreement_is_recorded_once_per_answer_and_a_callback_that_brought_the_same_answer_counts()
    {
        var record = Record(Recorded.Succeeded);
        var reversal = Assert.Single(ReconciliationMatrix.Compare(record, Found("00029", "120.0000", Platform)));

        // The same answer came by callback first: it is the same anomaly, so reconciliation adds nothing.
        var callback = TransactionRules.OnReport(
            record,
            new PayproObservation(ObservationSource.Callback, "00029", null, Platform, "120.0000", 120m, null))!;
        Assert.Equal(callback.EventName, reversal.Key);
        TransactionProcessor.Apply(record, callback, DateTimeOffset.UnixEpoch);
        Assert.Null(TransactionRules.OnDisagreement(record, reversal));

        // Another answer (another status) is another anomaly; a transaction Paypro does not know, which has no status, gets one too, once.
        var other = Assert.Single(ReconciliationMatrix.Compare(record, Found("00031", "120.0000", Platform)));
        Assert.IsType<AnomalyKept>(TransactionRules.OnDisagreement(record, other));
        var notFound = TransactionRules.OnDisagreement(record, ReconciliationMatrix.CompareNotFound(record)!)!;
        TransactionProcessor.Apply(record, notFound, DateTimeOffset.UnixEpoch);
        Assert.Null(TransactionRules.OnDisagreement(record, ReconciliationMatrix.CompareNotFound(record)!));
        Assert.Equal(TransactionState.Succeeded, record.State);
    }

    [Fact]
    public void Paid_after_failing_as_never_sent_is_flagged_by_every_path()
    {
        var record = Record(Recorded.FailedNotSent);

        var byCallback = Assert.IsType<AnomalyKept>(TransactionRules.OnReport(
            record,
            new PayproObservation(ObservationSource.Callback, "0000", null, Platform, "120.0000", 120m, null)));
        var byReconciliation = TransactionRules.OnDisagreement(
            record,
            Assert.Single(ReconciliationMatrix.Compare(record, Found("0000", "120.0000", Platform))))!;

        Assert.True(byCallback.PaidNotSent);
        Assert.True(byReconciliation.PaidNotSent);
        Assert.Contains("never sent", byReconciliation.Text, StringComparison.Ordinal);
        TransactionProcessor.Apply(record, byReconciliation, DateTimeOffset.UnixEpoch);
        Assert.Equal(TransactionState.Failed, record.State);
    }

    private static TransactionRecord Record(Recorded recorded) => new()
    {
        TradeNo = "R-1",
        Kind = TransactionKind.Payout,
        Amount = 120,
        State = recorded == Recorded.Succeeded ? TransactionState.Succeeded : TransactionState.Failed,
        NotSent = recorded == Recorded.FailedNotSent,
        PlatFormTradeNo = recorded == Recorded.FailedNotSent ? null : Platform,
    };

    private static PayproTransaction Found(string status, string? amount, string? platFormTradeNo) => new()
    {
        Status = status,
        AmountText = amount,
        Amount = amount is null ? null : decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture),
        PlatFormTradeNo = platFormTradeNo,
        TradeNo = "R-1",
    };
}
