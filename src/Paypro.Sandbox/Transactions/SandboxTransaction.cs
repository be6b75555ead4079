namespace Paypro.Sandbox.Transactions;

/// <summary>An executed transaction. Mutable fields change only under the ledger's lock.</summary>
internal sealed class SandboxTransaction
{
    public required SandboxTransactionKind Kind { get; init; }

    public required string TradeNo { get; init; }

    public required string PlatFormTradeNo { get; init; }

    /// <summary>The Paypro path that created it; callback faults match on it.</summary>
    public required string Endpoint { get; init; }

    public required long Amount { get; set; }

    public string? Mobile { get; init; }

    public string? NotifyUrl { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>What the test inputs say this transaction ends as.</summary>
    public required TestOutcome Outcome { get; set; }

    public string Status { get; set; } = PayproStatus.Processing;

    public string Message { get; set; } = TestInputs.ProcessingMessage;

    public DateTimeOffset? CompletedAt { get; set; }

    public string? ReceiptCode { get; set; }

    /// <summary>Whether a processing payout holds its amount in <c>freezeAmount</c>.</summary>
    public bool Reserved { get; set; }

    public bool IsPayout => Kind == SandboxTransactionKind.Payout;

    public SandboxLedgerEntry Snapshot() =>
        new(Kind, TradeNo, PlatFormTradeNo, Amount, Mobile, CreatedAt, Status, Message, CompletedAt, ReceiptCode);
}
