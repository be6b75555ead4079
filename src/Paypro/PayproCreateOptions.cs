namespace Paypro;

/// <summary>A payout to an M-Pesa wallet (<c>/api/payout</c>).</summary>
public sealed class PayoutCreateOptions
{
    /// <summary>The merchant's unique id for this payout; the idempotency key.</summary>
    public required string TradeNo { get; init; }

    /// <summary>
    /// Whole shillings, within <see cref="PayproClientOptions.MinAmount"/> and <see cref="PayproClientOptions.MaxAmount"/>.
    /// </summary>
    public required long Amount { get; init; }

    /// <summary>The payee's M-Pesa number; <c>07…</c>, <c>+2547…</c> and <c>2547…</c> forms are normalised.</summary>
    public required string Mobile { get; init; }

    public string? Remark { get; init; }

    /// <summary>Where Paypro posts the result. Optional for payouts; without it the result is only known by query.</summary>
    public Uri? NotifyUrl { get; init; }
}

/// <summary>A payment prompt pushed to the payer's phone (<c>/api/payin</c>).</summary>
public sealed class PayinCreateOptions
{
    /// <summary>The merchant's unique id for this payin; the idempotency key.</summary>
    public required string TradeNo { get; init; }

    /// <summary>
    /// Whole shillings, within <see cref="PayproClientOptions.MinAmount"/> and <see cref="PayproClientOptions.MaxAmount"/>.
    /// </summary>
    public required long Amount { get; init; }

    /// <summary>The payer's M-Pesa number; <c>07…</c>, <c>+2547…</c> and <c>2547…</c> forms are normalised.</summary>
    public required string Mobile { get; init; }

    /// <summary>Where Paypro posts the result.</summary>
    public required Uri NotifyUrl { get; init; }

    public string? Remark { get; init; }
}

/// <summary>A hosted checkout page (<c>/api/payinConsole</c>); the payer enters their number there.</summary>
public sealed class CheckoutCreateOptions
{
    /// <summary>The merchant's unique id for this payment; the idempotency key.</summary>
    public required string TradeNo { get; init; }

    /// <summary>
    /// Whole shillings, within <see cref="PayproClientOptions.MinAmount"/> and <see cref="PayproClientOptions.MaxAmount"/>.
    /// </summary>
    public required long Amount { get; init; }

    /// <summary>Where Paypro posts the result.</summary>
    public required Uri NotifyUrl { get; init; }

    public string? Remark { get; init; }
}
