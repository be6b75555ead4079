using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Paypro.Wire;
using Polly;
using Polly.Timeout;

namespace Paypro;

/// <summary>
/// Calls Paypro Kenya. Create calls (payout, payin, checkout) are sent exactly once and answer with a
/// <see cref="PayproOutcome"/> that tells accepted, refused and unknown apart; queries (status, M-Pesa
/// code, balance) are idempotent and retried with backoff by the <see cref="QueryHttpClientName"/> client.
/// </summary>
/// <remarks>
/// Invalid input throws <see cref="PayproValidationException"/> before anything is sent. Cancelling the
/// <see cref="CancellationToken"/> throws <see cref="OperationCanceledException"/>; a create call cancelled
/// that way may already have reached Paypro, so treat it like <see cref="PayproOutcome.Unknown"/>.
/// </remarks>
public partial class PayproClient
{
    /// <summary>The named HttpClient for create calls: a per-attempt timeout and no retry.</summary>
    public const string CreateHttpClientName = "Paypro.Create";

    /// <summary>The named HttpClient for queries: the standard resilience pipeline (retry with backoff and jitter).</summary>
    public const string QueryHttpClientName = "Paypro.Query";

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");

    private readonly IHttpClientFactory _httpClientFactory = null!;
    private readonly PayproClientOptions _options = null!;
    private readonly IPayproSecretSource _secrets = null!;
    private readonly TimeProvider _timeProvider = null!;
    private readonly ILogger _logger = NullLogger.Instance;
    private readonly string _root = "";

    /// <summary>For mocking.</summary>
    protected PayproClient()
    {
    }

    public PayproClient(
        IHttpClientFactory httpClientFactory,
        IOptions<PayproClientOptions> options,
        IPayproSecretSource secrets,
        TimeProvider timeProvider)
        : this(httpClientFactory, options, secrets, timeProvider, logger: null)
    {
    }

    /// <param name="httpClientFactory">
    /// Supplies the <see cref="CreateHttpClientName"/> and <see cref="QueryHttpClientName"/> clients.
    /// </param>
    /// <param name="options">The client's settings.</param>
    /// <param name="secrets">The app secret requests are signed with.</param>
    /// <param name="timeProvider">The clock for request timestamps.</param>
    /// <param name="logger">Optional. Never receives the secret, a sign or a full mobile number.</param>
    /// <exception cref="OptionsValidationException">The options are invalid; the messages name the settings.</exception>
    public PayproClient(
        IHttpClientFactory httpClientFactory,
        IOptions<PayproClientOptions> options,
        IPayproSecretSource secrets,
        TimeProvider timeProvider,
        ILogger<PayproClient>? logger)
    {
        ArgumentNullException.ThrowIfNull(httpClientFactory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(secrets);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var value = options.Value;
        // Options from the container were validated already; a client built by hand gets the same checks.
        var validation = new PayproClientOptionsValidator().Validate(Options.DefaultName, value);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(PayproClientOptions), validation.Failures);
        }
        _httpClientFactory = httpClientFactory;
        _options = value;
        _secrets = secrets;
        _timeProvider = timeProvider;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        // Not new Uri(BaseUrl, path): a leading '/' would drop a path prefix such as /ke-pay.
        _root = value.BaseUrl!.AbsoluteUri.TrimEnd('/');
    }

    /// <summary>Pays <see cref="PayoutCreateOptions.Amount"/> to an M-Pesa wallet.</summary>
    /// <exception cref="PayproValidationException">An option is invalid; nothing was sent.</exception>
    public virtual async Task<PayproCreateResult> CreatePayoutAsync(
        PayoutCreateOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return await CreateForMobileAsync(
            "payout",
            PayproPaths.Payout,
            options.TradeNo,
            options.Amount,
            options.Mobile,
            options.NotifyUrl,
            notifyUrlRequired: false,
            options.Remark,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Pushes a payment prompt to the payer's phone.</summary>
    /// <exception cref="PayproValidationException">An option is invalid; nothing was sent.</exception>
    public virtual async Task<PayproCreateResult> CreatePayinAsync(
        PayinCreateOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return await CreateForMobileAsync(
            "payin",
            PayproPaths.Payin,
            options.TradeNo,
            options.Amount,
            options.Mobile,
            options.NotifyUrl,
            notifyUrlRequired: true,
            options.Remark,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A payout or a payin: both send the same fields, validated in the same order (the mobile number, the amount,
    /// the notifyUrl, the remark, the tradeNo), so the first invalid one is the one reported. A payout may leave out
    /// its notifyUrl; a payin must give one.
    /// </summary>
    private async Task<PayproCreateResult> CreateForMobileAsync(
        string operation,
        string path,
        string tradeNo,
        long amount,
        string mobile,
        Uri? notifyUrl,
        bool notifyUrlRequired,
        string? remark,
        CancellationToken cancellationToken)
    {
        var normalized = PayproValidation.NormalizeMobile(mobile);
        var request = new MobileRequest
        {
            Amount = ValidAmount(amount),
            Mobile = normalized,
            NotifyUrl = notifyUrl is null && !notifyUrlRequired ? null : ValidNotifyUrl(notifyUrl),
            Remark = ValidRemark(remark),
            Timestamp = Timestamp(),
            TradeNo = ValidTradeNo(tradeNo),
        };
        return await CreateAsync(
            operation,
            path,
            request,
            PayproJsonContext.Wire.MobileRequest,
            request.TradeNo,
            request.Amount,
            normalized,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens a hosted checkout page; <see cref="PayproCreateResult.CheckoutUrl"/> is where to send the payer.</summary>
    /// <exception cref="PayproValidationException">An option is invalid; nothing was sent.</exception>
    public virtual async Task<PayproCreateResult> CreateCheckoutAsync(
        CheckoutCreateOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var request = new CheckoutRequest
        {
            Amount = ValidAmount(options.Amount),
            NotifyUrl = ValidNotifyUrl(options.NotifyUrl),
            Remark = ValidRemark(options.Remark),
            Timestamp = Timestamp(),
            TradeNo = ValidTradeNo(options.TradeNo),
        };
        return await CreateAsync(
            "checkout",
            PayproPaths.PayinConsole,
            request,
            PayproJsonContext.Wire.CheckoutRequest,
            request.TradeNo,
            request.Amount,
            mobile: null,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The status of a payout. <see cref="PayproQueryOutcome.NotFound"/> means Paypro does not know the tradeNo.</summary>
    /// <exception cref="PayproValidationException">The tradeNo is invalid; nothing was sent.</exception>
    public virtual Task<PayproQueryResult> QueryPayoutAsync(string tradeNo, CancellationToken cancellationToken = default) =>
        QueryTradeNoAsync("payout query", PayproPaths.QueryPayoutResult, tradeNo, cancellationToken);

    /// <summary>The status of a payin. <see cref="PayproQueryOutcome.NotFound"/> means Paypro does not know the tradeNo.</summary>
    /// <exception cref="PayproValidationException">The tradeNo is invalid; nothing was sent.</exception>
    public virtual Task<PayproQueryResult> QueryPayinAsync(string tradeNo, CancellationToken cancellationToken = default) =>
        QueryTradeNoAsync("payin query", PayproPaths.QueryPayinResult, tradeNo, cancellationToken);

    /// <summary>The transaction behind an M-Pesa receipt code (for example <c>SHL2A6WAQU</c>).</summary>
    /// <exception cref="PayproValidationException">The code is not an M-Pesa receipt code; nothing was sent.</exception>
    public virtual async Task<PayproQueryResult> QueryByMpesaCodeAsync(string code, CancellationToken cancellationToken = default)
    {
        if (!PayproValidation.TryValidateMpesaCode(code, out var error))
        {
            throw new PayproValidationException("code", error!);
        }
        var request = new MpesaCodeQueryRequest { Code = code, Timestamp = Timestamp() };
        var started = _timeProvider.GetTimestamp();
        var activity = PayproTelemetry.Start(PayproPaths.QueryResultByCode, null);
        var exchange = await SendTracedAsync(
            activity,
            QueryHttpClientName,
            PayproPaths.QueryResultByCode,
            request,
            PayproJsonContext.Wire.MpesaCodeQueryRequest,
            cancellationToken).ConfigureAwait(false);
        var result = PayproAnswers.ToQueryResult(
            exchange,
            expectedTradeNo: null,
            "Paypro knows no transaction with this M-Pesa code (code 8000).");
        PayproTelemetry.End(
            activity,
            PayproPaths.QueryResultByCode,
            _timeProvider.GetElapsedTime(started),
            result.Outcome.ToString(),
            result.Code,
            result.Transaction?.Status,
            result.Outcome == PayproQueryOutcome.Unknown);
        LogQuery(
            _logger,
            QueryLevel(result.Outcome),
            "M-Pesa lookup",
            code,
            result.Outcome,
            result.HttpStatus,
            result.Code,
            result.Transaction?.Status,
            result.Detail);
        return result;
    }

    /// <summary>
    /// The merchant's balance, from <see cref="PayproClientOptions.BalancePath"/>. Paypro publishes no
    /// balance endpoint for Kenya; an HTTP 404 there is reported as <see cref="PayproQueryOutcome.NotFound"/>.
    /// </summary>
    public virtual async Task<PayproBalanceResult> GetBalanceAsync(CancellationToken cancellationToken = default)
    {
        var request = new BalanceRequest { Timestamp = Timestamp() };
        var started = _timeProvider.GetTimestamp();
        var activity = PayproTelemetry.Start(_options.BalancePath, null);
        var exchange = await SendTracedAsync(
            activity,
            QueryHttpClientName,
            _options.BalancePath,
            request,
            PayproJsonContext.Wire.BalanceRequest,
            cancellationToken).ConfigureAwait(false);
        var result = PayproAnswers.ToBalanceResult(exchange, _options.BalancePath);
        PayproTelemetry.End(
            activity,
            _options.BalancePath,
            _timeProvider.GetElapsedTime(started),
            result.Outcome.ToString(),
            result.Code,
            null,
            result.Outcome == PayproQueryOutcome.Unknown);
        LogQuery(
            _logger,
            QueryLevel(result.Outcome),
            "balance",
            _options.BalancePath,
            result.Outcome,
            result.HttpStatus,
            result.Code,
            null,
            result.Detail);
        return result;
    }

    private async Task<PayproCreateResult> CreateAsync<T>(
        string operation,
        string path,
        T request,
        JsonTypeInfo<T> typeInfo,
        string tradeNo,
        string amount,
        string? mobile,
        CancellationToken cancellationToken)
        where T : PayproRequest
    {
        var started = _timeProvider.GetTimestamp();
        var activity = PayproTelemetry.Start(path, tradeNo);
        var exchange = await SendTracedAsync(activity, CreateHttpClientName, path, request, typeInfo, cancellationToken)
            .ConfigureAwait(false);
        var result = PayproAnswers.ToCreateResult(exchange);
        PayproTelemetry.End(
            activity,
            path,
            _timeProvider.GetElapsedTime(started),
            result.Outcome.ToString(),
            result.Code,
            result.Status,
            result.Outcome == PayproOutcome.Unknown);
        var level = result.Outcome switch
        {
            PayproOutcome.Accepted => LogLevel.Information,
            PayproOutcome.Refused => LogLevel.Warning,
            _ => LogLevel.Error,
        };
        LogCreate(
            _logger,
            level,
            operation,
            tradeNo,
            amount,
            PayproValidation.MaskMobile(mobile),
            result.Outcome,
            result.HttpStatus,
            result.Code,
            result.Status,
            result.Detail);
        return result;
    }

    private async Task<PayproQueryResult> QueryTradeNoAsync(
        string operation,
        string path,
        string tradeNo,
        CancellationToken cancellationToken)
    {
        var request = new TradeNoQueryRequest { TradeNo = ValidTradeNo(tradeNo) };
        var started = _timeProvider.GetTimestamp();
        var activity = PayproTelemetry.Start(path, tradeNo);
        var exchange = await SendTracedAsync(
            activity,
            QueryHttpClientName,
            path,
            request,
            PayproJsonContext.Wire.TradeNoQueryRequest,
            cancellationToken).ConfigureAwait(false);
        var result = PayproAnswers.ToQueryResult(
            exchange,
            tradeNo,
            "Paypro does not know this tradeNo (code 8000 on a query); this is not a failure of the transaction.");
        PayproTelemetry.End(
            activity,
            path,
            _timeProvider.GetElapsedTime(started),
            result.Outcome.ToString(),
            result.Code,
            result.Transaction?.Status,
            result.Outcome == PayproQueryOutcome.Unknown);
        LogQuery(
            _logger,
            QueryLevel(result.Outcome),
            operation,
            tradeNo,
            result.Outcome,
            result.HttpStatus,
            result.Code,
            result.Transaction?.Status,
            result.Detail);
        return result;
    }

    /// <summary><see cref="SendAsync"/> within a call's span, which ends as failed when the call throws.</summary>
    private async Task<PayproExchange> SendTracedAsync<T>(
        Activity? activity,
        string httpClientName,
        string path,
        T request,
        JsonTypeInfo<T> typeInfo,
        CancellationToken cancellationToken)
        where T : PayproRequest
    {
        try
        {
            return await SendAsync(httpClientName, path, request, typeInfo, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            PayproTelemetry.Fail(activity, ex);
            throw;
        }
    }

    /// <summary>
    /// Signs and sends one request. Returns the answer, or the transport failure as text; only the
    /// caller's own cancellation escapes as an exception, because a create call that failed in transit
    /// must still come back as a result the caller records.
    /// </summary>
    private async Task<PayproExchange> SendAsync<T>(
        string httpClientName,
        string path,
        T request,
        JsonTypeInfo<T> typeInfo,
        CancellationToken cancellationToken)
        where T : PayproRequest
    {
        var secret = await _secrets.GetSigningSecretAsync(cancellationToken).ConfigureAwait(false);
        var body = PayproRequest.ToSignedJson(request, typeInfo, secret, _options.SaltPosition);
        using var message = new HttpRequestMessage(HttpMethod.Post, _root + path)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = JsonContentType } },
        };
        message.Headers.TryAddWithoutValidation(PayproPaths.MerchantNoHeader, _options.MerchantNo);
        var client = _httpClientFactory.CreateClient(httpClientName);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            using var response = await client.SendAsync(message, cancellationToken).ConfigureAwait(false);
            var content = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            // A retry pipeline hands back its last answer when the caller cancels; the caller asked to stop, so stop.
            cancellationToken.ThrowIfCancellationRequested();
            return new PayproExchange((int)response.StatusCode, content, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (TimeoutRejectedException)
        {
            return PayproExchange.Failed(
                $"The request timed out: no answer within {_options.RequestTimeout:c} ({PayproClientOptions.SectionName}:RequestTimeout)");
        }
        catch (OperationCanceledException)
        {
            return PayproExchange.Failed("The request timed out: the HTTP client stopped waiting for an answer");
        }
        catch (ExecutionRejectedException ex)
        {
            // An open circuit or a full bulkhead: the request was not sent this time.
            return PayproExchange.Failed($"The request was not sent: {ex.Message}");
        }
        catch (HttpRequestException ex)
        {
            return PayproExchange.Failed($"The request failed on the network: {ex.Message}");
        }
    }

    private string ValidAmount(long amount)
    {
        if (!PayproValidation.TryValidateAmount(amount, _options.MinAmount, _options.MaxAmount, out var error))
        {
            throw new PayproValidationException("amount", error!);
        }
        return amount.ToString(CultureInfo.InvariantCulture);
    }

    private static string ValidTradeNo(string tradeNo)
    {
        PayproValidation.ValidateTradeNo(tradeNo);
        return tradeNo;
    }

    private static string ValidNotifyUrl(Uri? notifyUrl)
    {
        if (notifyUrl is null)
        {
            throw new PayproValidationException("notifyUrl", "notifyUrl is required: the URL Paypro posts the result to.");
        }
        if (!PayproValidation.IsHttpUrl(notifyUrl))
        {
            throw new PayproValidationException("notifyUrl", "notifyUrl must be an absolute http or https URL.");
        }
        return notifyUrl.AbsoluteUri;
    }

    /// <summary>The remark, or null when empty: Paypro signs an empty value differently from a missing one.</summary>
    private static string? ValidRemark(string? remark)
    {
        if (!PayproValidation.TryValidateRemark(remark, out var error))
        {
            throw new PayproValidationException("remark", error!);
        }
        return string.IsNullOrEmpty(remark) ? null : remark;
    }

    private string Timestamp() => _timeProvider.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    private static LogLevel QueryLevel(PayproQueryOutcome outcome) =>
        outcome == PayproQueryOutcome.Unknown ? LogLevel.Warning : LogLevel.Debug;

    [LoggerMessage(
        EventId = 1,
        Message = "Paypro {Operation} {TradeNo} of KES {Amount} for {Mobile}: {Outcome} " +
            "(HTTP {HttpStatus}, code {Code}, status {Status}). {Detail}")]
    private static partial void LogCreate(
        ILogger logger,
        LogLevel level,
        string operation,
        string tradeNo,
        string amount,
        string mobile,
        PayproOutcome outcome,
        int? httpStatus,
        string? code,
        string? status,
        string? detail);

    [LoggerMessage(
        EventId = 2,
        Message = "Paypro {Operation} {Key}: {Outcome} (HTTP {HttpStatus}, code {Code}, status {Status}). {Detail}")]
    private static partial void LogQuery(
        ILogger logger,
        LogLevel level,
        string operation,
        string key,
        PayproQueryOutcome outcome,
        int? httpStatus,
        string? code,
        string? status,
        string? detail);
}
