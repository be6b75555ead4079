using System.Net.Http.Headers;
using System.Text;
using Paypro.Sandbox.Api;

namespace Paypro.Sandbox.Callbacks;

/// <summary>
/// Delivers results as Paypro does: a POST of JSON to the notify URL, counted as delivered only when
/// the answer's body is <c>OK</c>, otherwise retried on Paypro's schedule (scaled by
/// <see cref="SandboxOptions.TimeScale"/>), with the callback faults applied.
/// </summary>
internal sealed partial class CallbackDispatcher : IDisposable
{
    private const int MaxResponseChars = 200;

    private readonly SandboxOptions _options;
    private readonly SandboxFaults _faults;
    private readonly BackgroundWork _work;
    private readonly TimeProvider _time;
    private readonly ILogger<CallbackDispatcher> _logger;
    private readonly HttpClient _http;
    private readonly object _gate = new();
    private readonly List<PendingNotification> _notifications = [];
    private readonly List<CallbackAttempt> _attempts = [];
    private long _nextId;

    public CallbackDispatcher(
        SandboxOptions options,
        SandboxFaults faults,
        BackgroundWork work,
        TimeProvider time,
        ILogger<CallbackDispatcher> logger)
    {
        _options = options;
        _faults = faults;
        _work = work;
        _time = time;
        _logger = logger;
        // A plain client, not IHttpClientFactory: its logging handler would write the notify URL,
        // function key included, to the log. No redirects: Paypro posts to the URL it was given.
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _faults.ReleaseHeld = held => Start(held, 0, TimeSpan.Zero);
    }

    public IReadOnlyList<CallbackNotification> Notifications
    {
        get
        {
            lock (_gate)
            {
                return _notifications.Select(static n => n.Snapshot()).ToArray();
            }
        }
    }

    public IReadOnlyList<CallbackAttempt> Attempts
    {
        get
        {
            lock (_gate)
            {
                return _attempts.ToArray();
            }
        }
    }

    /// <summary>Announces the current state of a transaction to its notify URL.</summary>
    /// <param name="entry">The transaction as it stands.</param>
    /// <param name="endpoint">The Paypro path that created it.</param>
    /// <param name="requestNotifyUrl">The notifyUrl of the create request, if it had one.</param>
    public CallbackNotification Notify(SandboxLedgerEntry entry, string endpoint, string? requestNotifyUrl)
    {
        var target = _options.NotifyUrlOverride ?? requestNotifyUrl ?? _options.DefaultNotifyUrl;
        var notification = new PendingNotification
        {
            Id = Interlocked.Increment(ref _nextId),
            Kind = entry.Kind,
            TradeNo = entry.TradeNo,
            Status = entry.Status,
            Endpoint = endpoint,
            Target = SandboxOptionsValidator.IsNotifyUrl(target) ? new Uri(target!) : null,
            Body = BuildBody(entry),
            CreatedAt = _time.GetUtcNow(),
        };
        lock (_gate)
        {
            _notifications.Add(notification);
        }
        if (notification.Target is null)
        {
            SetState(notification, CallbackState.NoTarget);
            LogNoTarget(notification.TradeNo);
            return SnapshotOf(notification);
        }
        var fault = _faults.MatchCallback(notification);
        SetFault(notification, fault.Kind);
        switch (fault.Kind)
        {
            case FaultKind.DropCallback:
                SetState(notification, CallbackState.Dropped);
                LogFault(notification.Id, notification.TradeNo, FaultKind.DropCallback);
                break;
            case FaultKind.DuplicateCallback:
                var copy = new PendingNotification
                {
                    Id = Interlocked.Increment(ref _nextId),
                    Kind = notification.Kind,
                    TradeNo = notification.TradeNo,
                    Status = notification.Status,
                    Endpoint = notification.Endpoint,
                    Target = notification.Target,
                    Body = notification.Body,
                    CreatedAt = notification.CreatedAt,
                    DuplicateOf = notification.Id,
                };
                lock (_gate)
                {
                    _notifications.Add(copy);
                }
                LogFault(notification.Id, notification.TradeNo, FaultKind.DuplicateCallback);
                Start([notification, copy], 0, TimeSpan.Zero);
                break;
            case FaultKind.DelayCallback:
                LogFault(notification.Id, notification.TradeNo, FaultKind.DelayCallback);
                Start([notification], 0, fault.Delay);
                break;
            case FaultKind.ReorderCallbacks:
                lock (_gate)
                {
                    if (!notification.Started)
                    {
                        notification.State = CallbackState.Held;
                    }
                }
                LogFault(notification.Id, notification.TradeNo, FaultKind.ReorderCallbacks);
                if (fault.Release is { } batch)
                {
                    Start(batch, 0, TimeSpan.Zero);
                }
                break;
            default:
                Start([notification], 0, TimeSpan.Zero);
                break;
        }
        return SnapshotOf(notification);
    }

    public void Reset()
    {
        lock (_gate)
        {
            _notifications.Clear();
            _attempts.Clear();
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// The callback body: the Kenya page's fields, then <c>timestamp</c> and <c>sign</c> when callbacks
    /// are signed. The amount is signed as the token written (<c>50.0000</c>), as Paypro does.
    /// </summary>
    private byte[] BuildBody(SandboxLedgerEntry entry)
    {
        var sign = _options.SignCallbacks;
        var timestamp = PayproJson.EpochMilliseconds(_time.GetUtcNow());
        string? signature = null;
        if (sign)
        {
            var successTime = entry.CompletedAt is { } completed ? KenyaTime.Format(completed) : null;
            signature = PayproSignature.Compute(
            [
                new("platFormTradeNo", entry.PlatFormTradeNo),
                new("tradeNo", entry.TradeNo),
                new("amount", PayproJson.Amount(entry.Amount)),
                new("status", entry.Status),
                new("message", entry.Message),
                new("successTime", successTime),
                new("timestamp", timestamp),
            ], _options.AppSecret, _options.SaltPosition);
        }
        return PayproJson.Write(writer =>
        {
            writer.WriteStartObject();
            PayproJson.WriteResult(writer, entry);
            if (signature is not null)
            {
                writer.WriteString("timestamp", timestamp);
                writer.WriteString(PayproSignature.SignField, signature);
            }
            writer.WriteEndObject();
        });
    }

    // Each callback of a chain starts after the previous one's first attempt, so a duplicate
    // arrives right behind its original and a reordered batch arrives in the order given.
    private void Start(IReadOnlyList<PendingNotification> chain, int index, TimeSpan initialDelay)
    {
        var notification = chain[index];
        lock (_gate)
        {
            notification.Started = true;
            notification.State = CallbackState.Pending;
        }
        Action? next = index + 1 < chain.Count ? () => Start(chain, index + 1, TimeSpan.Zero) : null;
        _work.Run(token => DeliverAsync(notification, initialDelay, next, token));
    }

    private async Task DeliverAsync(
        PendingNotification notification,
        TimeSpan initialDelay,
        Action? afterFirstAttempt,
        CancellationToken cancellationToken)
    {
        var intervals = SandboxOptions.CallbackRetryIntervals;
        // Every attempt is due a fixed time after the previous one was due, so a slow answer does
        // not push the rest of the schedule back.
        var due = _time.GetUtcNow() + initialDelay;
        var wait = DelayUntil(due, cancellationToken);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                await wait.ConfigureAwait(false);
                var scheduledAt = due;
                var attemptedAt = _time.GetUtcNow();
                var (statusCode, text, outcome) = await PostAsync(notification, cancellationToken).ConfigureAwait(false);
                var state = outcome == CallbackOutcome.Delivered ? CallbackState.Delivered
                    : attempt > intervals.Count ? CallbackState.Exhausted
                    : CallbackState.Pending;
                if (state == CallbackState.Pending)
                {
                    // Armed before the attempt is published: whoever waits for the attempt and then
                    // moves a fake clock finds the next timer already running.
                    due += _options.Scale(intervals[attempt - 1]);
                    wait = DelayUntil(due, cancellationToken);
                }
                lock (_gate)
                {
                    notification.Attempts = attempt;
                    notification.State = state;
                    _attempts.Add(new(notification.Id, attempt, notification.TradeNo, notification.Status, notification.MaskedTarget!,
                        Encoding.UTF8.GetString(notification.Body), scheduledAt, attemptedAt, statusCode, text, outcome));
                }
                LogAttempt(notification.Id, attempt, notification.TradeNo, notification.MaskedTarget!, outcome, statusCode);
                if (attempt == 1)
                {
                    afterFirstAttempt?.Invoke();
                }
                if (state == CallbackState.Exhausted)
                {
                    LogExhausted(notification.Id, notification.TradeNo, attempt);
                }
                if (state != CallbackState.Pending)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            SetState(notification, CallbackState.Cancelled);
        }
    }

    // A timer may fire a fraction of a millisecond before the clock says it is due; an attempt
    // must never be made early, so the wait is repeated for what is left.
    private async Task DelayUntil(DateTimeOffset due, CancellationToken cancellationToken)
    {
        for (var wait = due - _time.GetUtcNow(); wait > TimeSpan.Zero; wait = due - _time.GetUtcNow())
        {
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<(int? StatusCode, string? Text, CallbackOutcome Outcome)> PostAsync(
        PendingNotification notification,
        CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.CallbackTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var request = new HttpRequestMessage(HttpMethod.Post, notification.Target);
        request.Content = new ByteArrayContent(notification.Body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token)
                .ConfigureAwait(false);
            var text = await ReadStartAsync(response.Content, linked.Token).ConfigureAwait(false);
            var delivered = text.AsSpan().Trim().SequenceEqual("OK");
            return ((int)response.StatusCode, Shorten(text), delivered ? CallbackOutcome.Delivered : CallbackOutcome.NotAcknowledged);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, "no answer within the callback timeout", CallbackOutcome.Failed);
        }
        catch (HttpRequestException ex)
        {
            return (null, Shorten(ex.Message), CallbackOutcome.Failed);
        }
        catch (IOException ex)
        {
            return (null, Shorten(ex.Message), CallbackOutcome.Failed);
        }
    }

    // Only the start of the answer matters ("OK" or not); a huge answer is not read to its end.
    private static async Task<string> ReadStartAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var buffer = new char[1024];
        var read = await reader.ReadBlockAsync(buffer, cancellationToken).ConfigureAwait(false);
        return new string(buffer, 0, read);
    }

    private static string Shorten(string text) => text.Length <= MaxResponseChars ? text : text[..MaxResponseChars];

    private void SetState(PendingNotification notification, CallbackState state)
    {
        lock (_gate)
        {
            notification.State = state;
        }
    }

    private CallbackNotification SnapshotOf(PendingNotification notification)
    {
        lock (_gate)
        {
            return notification.Snapshot();
        }
    }

    private void SetFault(PendingNotification notification, FaultKind? fault)
    {
        lock (_gate)
        {
            notification.Fault = fault;
        }
    }

    [LoggerMessage(
        Level = LogLevel.Information,
        Message = "Callback {NotificationId} for tradeNo {TradeNo}, attempt {Attempt} to {Target}: {Outcome} (HTTP {StatusCode})")]
    private partial void LogAttempt(
        long notificationId,
        int attempt,
        string tradeNo,
        string target,
        CallbackOutcome outcome,
        int? statusCode);

    [LoggerMessage(
        Level = LogLevel.Warning,
        Message = "Callback {NotificationId} for tradeNo {TradeNo} was not acknowledged after {Attempts} attempts; " +
            "Paypro stops here and the merchant must query")]
    private partial void LogExhausted(long notificationId, string tradeNo, int attempts);

    [LoggerMessage(
        Level = LogLevel.Information,
        Message = "No callback for tradeNo {TradeNo}: the request had no notifyUrl and Sandbox:DefaultNotifyUrl is not set")]
    private partial void LogNoTarget(string tradeNo);

    [LoggerMessage(Level = LogLevel.Information, Message = "Callback {NotificationId} for tradeNo {TradeNo}: fault {Fault} applied")]
    private partial void LogFault(long notificationId, string tradeNo, FaultKind fault);
}
