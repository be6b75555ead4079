using System.Security.Cryptography;
using Paypro.Sandbox.Transactions;

namespace Paypro.Sandbox;

/// <summary>
/// Every transaction the sandbox executed and every request it received, so a test can prove that
/// no tradeNo was paid twice, none was lost, and how many calls reached Paypro. Also the balance.
/// Reads return snapshots.
/// </summary>
public sealed class SandboxLedger
{
    private const string ReceiptAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private readonly object _gate = new();
    private readonly Dictionary<string, SandboxTransaction> _payouts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SandboxTransaction> _payins = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SandboxTransaction> _byPlatFormTradeNo = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SandboxTransaction> _byReceipt = new(StringComparer.Ordinal);
    private readonly List<SandboxTransaction> _executed = [];
    private readonly List<SandboxRequest> _requests = [];
    private long _available;
    private long _freeze;
    private long _unsettled;

    internal SandboxLedger(long initialBalance) => _available = initialBalance;

    /// <summary>Executed transactions in the order they were executed.</summary>
    public IReadOnlyList<SandboxLedgerEntry> Entries
    {
        get
        {
            lock (_gate)
            {
                return _executed.Select(static t => t.Snapshot()).ToArray();
            }
        }
    }

    /// <summary>Every request received on a Paypro path, in order of arrival, including refused and faulted ones.</summary>
    public IReadOnlyList<SandboxRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return _requests.ToArray();
            }
        }
    }

    /// <summary>The create calls (payout, payin, checkout) received for <paramref name="tradeNo"/>.</summary>
    public IReadOnlyList<SandboxRequest> CreateAttempts(string tradeNo)
    {
        lock (_gate)
        {
            return _requests.Where(r => r.IsCreate && r.TradeNo == tradeNo).ToArray();
        }
    }

    /// <summary>The balance now.</summary>
    public SandboxBalance Balance
    {
        get
        {
            lock (_gate)
            {
                return new(_available, _freeze, _unsettled);
            }
        }
    }

    /// <summary>
    /// The transaction with <paramref name="tradeNo"/>, or null. <see cref="SandboxTransactionKind.Payin"/>
    /// and <see cref="SandboxTransactionKind.Checkout"/> look in the same payin space.
    /// </summary>
    public SandboxLedgerEntry? Find(SandboxTransactionKind kind, string tradeNo)
    {
        lock (_gate)
        {
            return Space(kind).GetValueOrDefault(tradeNo)?.Snapshot();
        }
    }

    internal SandboxTransaction? Get(SandboxTransactionKind kind, string tradeNo)
    {
        lock (_gate)
        {
            return Space(kind).GetValueOrDefault(tradeNo);
        }
    }

    internal SandboxTransaction? GetByPlatFormTradeNo(string platFormTradeNo)
    {
        lock (_gate)
        {
            return _byPlatFormTradeNo.GetValueOrDefault(platFormTradeNo);
        }
    }

    internal SandboxLedgerEntry? FindByPlatFormTradeNo(string platFormTradeNo)
    {
        lock (_gate)
        {
            return _byPlatFormTradeNo.GetValueOrDefault(platFormTradeNo)?.Snapshot();
        }
    }

    internal SandboxLedgerEntry? FindByReceipt(string code)
    {
        lock (_gate)
        {
            return _byReceipt.GetValueOrDefault(code)?.Snapshot();
        }
    }

    /// <summary>
    /// Executes <paramref name="transaction"/> unless its tradeNo is taken. Decided under one lock, so
    /// two racing requests with one tradeNo execute once. A payout above the available balance is
    /// executed and ends as insufficient balance, as M-Pesa does.
    /// </summary>
    internal bool TryExecute(SandboxTransaction transaction, out SandboxLedgerEntry entry)
    {
        lock (_gate)
        {
            var space = Space(transaction.Kind);
            if (space.ContainsKey(transaction.TradeNo))
            {
                entry = null!;
                return false;
            }
            if (transaction.IsPayout && transaction.Amount > _available)
            {
                transaction.Outcome = TestOutcome.InsufficientBalance;
            }
            transaction.Reserved = transaction.IsPayout && transaction.Outcome != TestOutcome.InsufficientBalance;
            space.Add(transaction.TradeNo, transaction);
            _byPlatFormTradeNo.Add(transaction.PlatFormTradeNo, transaction);
            _executed.Add(transaction);
            Apply(transaction, transaction.Status, +1);
            if (transaction.Outcome == TestOutcome.ImmediateSuccess)
            {
                SetStatus(transaction, PayproStatus.Success, TestInputs.SuccessMessage, transaction.CreatedAt);
            }
            entry = transaction.Snapshot();
            return true;
        }
    }

    /// <summary>
    /// Moves <paramref name="transaction"/> to <paramref name="status"/> and the balance with it. With
    /// <paramref name="onlyIfProcessing"/>, a transaction already final (set by hand, or from a
    /// checkout page) is left alone. False when nothing changed or the transaction was reset away.
    /// </summary>
    internal bool TrySetStatus(
        SandboxTransaction transaction,
        string status,
        string message,
        DateTimeOffset at,
        bool onlyIfProcessing,
        out SandboxLedgerEntry entry)
    {
        lock (_gate)
        {
            entry = transaction.Snapshot();
            if (!ReferenceEquals(Space(transaction.Kind).GetValueOrDefault(transaction.TradeNo), transaction)
                || (onlyIfProcessing && transaction.Status != PayproStatus.Processing))
            {
                return false;
            }
            SetStatus(transaction, status, message, at);
            entry = transaction.Snapshot();
            return true;
        }
    }

    /// <summary>
    /// Changes the amount Paypro has for <paramref name="transaction"/> (Paypro executed another amount), the balance with it.
    /// False when the transaction was reset or forgotten away.
    /// </summary>
    internal bool TrySetAmount(SandboxTransaction transaction, long amount, out SandboxLedgerEntry entry)
    {
        lock (_gate)
        {
            entry = transaction.Snapshot();
            if (!ReferenceEquals(Space(transaction.Kind).GetValueOrDefault(transaction.TradeNo), transaction))
            {
                return false;
            }
            Apply(transaction, transaction.Status, -1);
            transaction.Amount = amount;
            Apply(transaction, transaction.Status, +1);
            entry = transaction.Snapshot();
            return true;
        }
    }

    /// <summary>
    /// Paypro loses its record of a transaction: its queries answer "not found" from now on. The transaction stays in
    /// <see cref="Entries"/> (it was executed) and in the balance. False when there is none with that tradeNo.
    /// </summary>
    internal bool Forget(SandboxTransactionKind kind, string tradeNo, out SandboxLedgerEntry? entry)
    {
        lock (_gate)
        {
            if (!Space(kind).Remove(tradeNo, out var transaction))
            {
                entry = null;
                return false;
            }
            _byPlatFormTradeNo.Remove(transaction.PlatFormTradeNo);
            if (transaction.ReceiptCode is { } receipt)
            {
                _byReceipt.Remove(receipt);
            }
            entry = transaction.Snapshot();
            return true;
        }
    }

    internal void Record(string endpoint, DateTimeOffset receivedAt, string? tradeNo, string? code, bool executed, FaultKind? fault)
    {
        lock (_gate)
        {
            _requests.Add(new(_requests.Count + 1, endpoint, receivedAt, tradeNo, code, executed, fault));
        }
    }

    internal void Reset(long initialBalance)
    {
        lock (_gate)
        {
            _payouts.Clear();
            _payins.Clear();
            _byPlatFormTradeNo.Clear();
            _byReceipt.Clear();
            _executed.Clear();
            _requests.Clear();
            _available = initialBalance;
            _freeze = 0;
            _unsettled = 0;
        }
    }

    private Dictionary<string, SandboxTransaction> Space(SandboxTransactionKind kind) =>
        kind == SandboxTransactionKind.Payout ? _payouts : _payins;

    private void SetStatus(SandboxTransaction transaction, string status, string message, DateTimeOffset at)
    {
        Apply(transaction, transaction.Status, -1);
        transaction.Status = status;
        transaction.Message = message;
        transaction.CompletedAt = status == PayproStatus.Processing ? null : at;
        if (status == PayproStatus.Success && transaction.ReceiptCode is null)
        {
            transaction.ReceiptCode = NewReceiptCode();
            _byReceipt.Add(transaction.ReceiptCode, transaction);
        }
        Apply(transaction, status, +1);
    }

    // The balance is the initial amount plus what each transaction's current status contributes, so
    // any change of status (even success after failure, set by hand) keeps it consistent.
    private void Apply(SandboxTransaction transaction, string status, int sign)
    {
        var amount = transaction.Amount * sign;
        if (!transaction.IsPayout)
        {
            if (status == PayproStatus.Success)
            {
                _unsettled += amount;
            }
            return;
        }
        if (status == PayproStatus.Success)
        {
            _available -= amount;
        }
        else if (status == PayproStatus.Processing && transaction.Reserved)
        {
            _available -= amount;
            _freeze += amount;
        }
    }

    private string NewReceiptCode()
    {
        while (true)
        {
            var code = RandomNumberGenerator.GetString(ReceiptAlphabet, 10);
            if (!_byReceipt.ContainsKey(code))
            {
                return code;
            }
        }
    }
}
