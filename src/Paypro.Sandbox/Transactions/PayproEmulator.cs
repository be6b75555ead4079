using Paypro.Sandbox.Api;
using Paypro.Sandbox.Callbacks;

namespace Paypro.Sandbox.Transactions;

/// <summary>
/// Paypro Kenya's behaviour behind each path, once the request is authenticated: field checks,
/// duplicate refusal, the test inputs, execution, the later result and its callback.
/// </summary>
internal sealed partial class PayproEmulator(
    SandboxOptions options,
    SandboxLedger ledger,
    SandboxFaults faults,
    CallbackDispatcher callbacks,
    BackgroundWork work,
    TimeProvider time,
    ILogger<PayproEmulator> logger)
{
    public PayproAnswer CreatePayout(PayproFields fields) =>
        Create(fields, SandboxTransactionKind.Payout, PayproPaths.Payout, mobileRequired: true, notifyUrlRequired: false, paymentUrl: null);

    public PayproAnswer CreatePayin(PayproFields fields) =>
        Create(fields, SandboxTransactionKind.Payin, PayproPaths.Payin, mobileRequired: true, notifyUrlRequired: true, paymentUrl: null);

    /// <param name="fields">The request.</param>
    /// <param name="paymentUrl">Builds the checkout page's URL from the transaction's platFormTradeNo.</param>
    public PayproAnswer CreateCheckout(PayproFields fields, Func<string, string> paymentUrl) =>
        Create(
            fields,
            SandboxTransactionKind.Checkout,
            PayproPaths.PayinConsole,
            mobileRequired: false,
            notifyUrlRequired: true,
            paymentUrl);

    public PayproAnswer QueryPayout(PayproFields fields) => Query(fields, SandboxTransactionKind.Payout);

    public PayproAnswer QueryPayin(PayproFields fields) => Query(fields, SandboxTransactionKind.Payin);

    public PayproAnswer QueryByCode(PayproFields fields)
    {
        var code = fields["code"];
        if (!PayproValidation.TryValidateMpesaCode(code, out var error))
        {
            return PayproAnswer.Parameter(error!);
        }
        if (CheckTimestamp(fields) is { } timestampError)
        {
            return timestampError;
        }
        if (ledger.FindByReceipt(code!) is not { } entry)
        {
            return PayproAnswer.Error(PayproStatus.OrderError, "order error: no transaction with this M-Pesa code");
        }
        return PayproAnswer.Accepted(writer =>
        {
            PayproJson.WriteResult(writer, entry);
            writer.WriteString("mpesaReceiptNumber", entry.MpesaReceiptNumber);
        });
    }

    public PayproAnswer Balance(PayproFields fields)
    {
        if (CheckTimestamp(fields) is { } timestampError)
        {
            return timestampError;
        }
        var balance = ledger.Balance;
        return PayproAnswer.Accepted(writer =>
        {
            WriteAmount(writer, "availableAmount", balance.AvailableAmount);
            WriteAmount(writer, "freezeAmount", balance.FreezeAmount);
            WriteAmount(writer, "unsettledAmount", balance.UnsettledAmount);
        });
    }

    /// <summary>Sets a transaction's status by hand and, when asked, announces it.</summary>
    /// <returns>The transaction as it now stands, or null when there is none with that tradeNo.</returns>
    public SandboxLedgerEntry? SetStatus(SandboxTransactionKind kind, string tradeNo, string status, string? message, bool notify)
    {
        if (ledger.Get(kind, tradeNo) is not { } transaction)
        {
            return null;
        }
        if (ledger.TrySetStatus(
                transaction,
                status,
                message ?? TestInputs.MessageOf(status),
                time.GetUtcNow(),
                onlyIfProcessing: false,
                out var entry)
            && notify)
        {
            callbacks.Notify(entry, transaction.Endpoint, transaction.NotifyUrl);
        }
        return entry;
    }

    /// <summary>
    /// Changes the amount Paypro has for a transaction, and when asked announces it; null when there is no such transaction.
    /// </summary>
    public SandboxLedgerEntry? SetAmount(SandboxTransactionKind kind, string tradeNo, long amount, bool notify)
    {
        if (ledger.Get(kind, tradeNo) is not { } transaction || !ledger.TrySetAmount(transaction, amount, out var entry))
        {
            return null;
        }
        if (notify)
        {
            callbacks.Notify(entry, transaction.Endpoint, transaction.NotifyUrl);
        }
        return entry;
    }

    /// <summary>
    /// Paypro loses a transaction: its status queries answer "not found" (code 8000) from now on. Null when there is none.
    /// </summary>
    public SandboxLedgerEntry? Forget(SandboxTransactionKind kind, string tradeNo) =>
        ledger.Forget(kind, tradeNo, out var entry) ? entry : null;

    /// <summary>Sends a new callback with the transaction's current state; null when there is no such transaction.</summary>
    public CallbackNotification? Redeliver(SandboxTransactionKind kind, string tradeNo) =>
        ledger.Get(kind, tradeNo) is { } transaction
            ? callbacks.Notify(transaction.Snapshot(), transaction.Endpoint, transaction.NotifyUrl)
            : null;

    /// <summary>
    /// Back to the start: pending results and callbacks are cancelled, the ledger, request log and
    /// callback log emptied, the balance and the configured faults restored.
    /// </summary>
    public void Reset()
    {
        work.CancelAll();
        ledger.Reset(options.InitialBalance);
        callbacks.Reset();
        faults.Reset(options.FaultSeed, options.Faults);
        LogReset();
    }

    /// <summary>The payer pressed Pay or Cancel on the checkout page. False when the page's payment is unknown or already final.</summary>
    public bool CompleteCheckout(string platFormTradeNo, bool paid)
    {
        if (ledger.GetByPlatFormTradeNo(platFormTradeNo) is not { Kind: SandboxTransactionKind.Checkout } transaction)
        {
            return false;
        }
        var (status, message) = paid
            ? (PayproStatus.Success, TestInputs.SuccessMessage)
            : (TestInputs.Rejected, TestInputs.RejectedMessage);
        return Complete(transaction, status, message);
    }

    private PayproAnswer Create(
        PayproFields fields,
        SandboxTransactionKind kind,
        string endpoint,
        bool mobileRequired,
        bool notifyUrlRequired,
        Func<string, string>? paymentUrl)
    {
        var tradeNo = fields["tradeNo"];
        if (!PayproValidation.TryValidateTradeNo(tradeNo, out var error))
        {
            return PayproAnswer.Parameter(error!);
        }
        if (!PayproValidation.TryParseAmount(fields["amount"], out var amount, out error))
        {
            return PayproAnswer.Parameter(error!);
        }
        if (amount < 1)
        {
            return PayproAnswer.Parameter("amount must be at least 1.");
        }
        var mobile = mobileRequired ? fields["mobile"] : null;
        if (mobileRequired && (mobile is null || !IsPayproMobile(mobile)))
        {
            return PayproAnswer.Parameter("mobile must be 254 followed by 9 digits, starting 2547 or 2541 (^254[17]\\d{8}$).");
        }
        var notifyUrl = fields["notifyUrl"];
        if (string.IsNullOrEmpty(notifyUrl))
        {
            if (notifyUrlRequired)
            {
                return PayproAnswer.Parameter("notifyUrl is required.");
            }
            notifyUrl = null;
        }
        else if (!SandboxOptionsValidator.IsNotifyUrl(notifyUrl))
        {
            return PayproAnswer.Parameter("notifyUrl must be an absolute http or https URL.");
        }
        if (CheckTimestamp(fields) is { } timestampError)
        {
            return timestampError;
        }

        var outcome = TestInputs.For(mobile);
        if (ledger.Get(kind, tradeNo!) is not null)
        {
            return Duplicate(tradeNo!);
        }
        if (outcome == TestOutcome.Refused)
        {
            return PayproAnswer.Error(PayproStatus.OrderError, "order error: the order was refused (test input 14)");
        }
        if (outcome == TestOutcome.SystemError)
        {
            return PayproAnswer.Error(PayproStatus.SystemException, "system exception (test input 15)");
        }

        var transaction = new SandboxTransaction
        {
            Kind = kind,
            TradeNo = tradeNo!,
            PlatFormTradeNo = Guid.NewGuid().ToString("N"),
            Endpoint = endpoint,
            Amount = amount,
            Mobile = mobile,
            NotifyUrl = notifyUrl,
            CreatedAt = time.GetUtcNow(),
            Outcome = outcome,
        };
        if (!ledger.TryExecute(transaction, out var entry))
        {
            return Duplicate(tradeNo!);
        }
        LogExecuted(kind, tradeNo!, amount, mobile is null ? "no mobile" : PayproValidation.MaskMobile(mobile), entry.Status);
        if (entry.Status == PayproStatus.Success)
        {
            callbacks.Notify(entry, endpoint, notifyUrl);
        }
        else
        {
            var delay = transaction.Outcome == TestOutcome.LongProcessing ? options.LongProcessingDelay : options.SuccessDelay;
            var (status, message) = TestInputs.FinalOf(transaction.Outcome);
            work.Run(async token =>
            {
                await Task.Delay(options.Scale(delay), time, token).ConfigureAwait(false);
                Complete(transaction, status, message);
            });
        }
        return PayproAnswer.Accepted(writer =>
        {
            writer.WriteString("serialNumber", entry.PlatFormTradeNo);
            writer.WriteString("status", entry.Status);
            if (paymentUrl is not null)
            {
                writer.WriteString("paymentUrl", paymentUrl(entry.PlatFormTradeNo));
            }
        }, executed: true);
    }

    private bool Complete(SandboxTransaction transaction, string status, string message)
    {
        if (!ledger.TrySetStatus(transaction, status, message, time.GetUtcNow(), onlyIfProcessing: true, out var entry))
        {
            return false;
        }
        LogCompleted(transaction.Kind, transaction.TradeNo, status);
        callbacks.Notify(entry, transaction.Endpoint, transaction.NotifyUrl);
        return true;
    }

    private PayproAnswer Query(PayproFields fields, SandboxTransactionKind kind)
    {
        var tradeNo = fields["tradeNo"];
        if (string.IsNullOrEmpty(tradeNo))
        {
            return PayproAnswer.Parameter("tradeNo is required.");
        }
        if (ledger.Find(kind, tradeNo) is not { } entry)
        {
            return PayproAnswer.Error(PayproStatus.OrderError, "order error: the order does not exist");
        }
        return PayproAnswer.Accepted(writer => PayproJson.WriteResult(writer, entry));
    }

    private static PayproAnswer Duplicate(string tradeNo) =>
        PayproAnswer.Error(PayproStatus.OrderError, $"order error: tradeNo {tradeNo} already exists");

    private static PayproAnswer? CheckTimestamp(PayproFields fields)
    {
        var timestamp = fields["timestamp"];
        return timestamp is { Length: 13 } && timestamp.All(char.IsAsciiDigit)
            ? null
            : PayproAnswer.Parameter("timestamp must be epoch milliseconds (13 digits).");
    }

    // Paypro takes only the normalised form; the friendlier forms the client library accepts
    // (07..., +254...) are refused here, as Paypro would.
    private static bool IsPayproMobile(string mobile) =>
        PayproValidation.TryNormalizeMobile(mobile, out var normalized, out _) && normalized == mobile;

    private static void WriteAmount(System.Text.Json.Utf8JsonWriter writer, string name, long amount)
    {
        writer.WritePropertyName(name);
        writer.WriteRawValue(PayproJson.Amount(amount));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Executed {Kind} {TradeNo}: KES {Amount} for {Mobile}, status {Status}")]
    private partial void LogExecuted(SandboxTransactionKind kind, string tradeNo, long amount, string mobile, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sandbox reset")]
    private partial void LogReset();

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {TradeNo} completed with status {Status}")]
    private partial void LogCompleted(SandboxTransactionKind kind, string tradeNo, string status);
}
