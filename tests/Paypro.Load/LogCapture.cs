using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Paypro.Load;

/// <summary>Keeps the app's warnings and errors (formatted, with the exception's message), so a scenario can find the reason the app logged for what it did.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private const int MaxEntries = 200_000;
    private readonly ConcurrentQueue<string> _entries = new();
    private int _count;

    public IReadOnlyCollection<string> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private void Add(string entry)
    {
        // Bounded: a run that logs without end must not take the machine's memory with it.
        if (Interlocked.Increment(ref _count) <= MaxEntries)
        {
            _entries.Enqueue(entry);
        }
    }

    private sealed class Logger(LogCapture capture) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                capture.Add(exception is null ? formatter(state, null) : $"{formatter(state, exception)} ({exception.GetType().Name}: {exception.Message})");
            }
        }
    }
}

/// <summary>
/// Meters the app's Paypro queries as Paypro receives them: a <see cref="Handler"/> sits on the query client,
/// innermost (after the retry handler), so it sees every attempt; this counts how many were in flight at once at
/// most, and how many there were.
/// </summary>
public sealed class PayproCallMeter
{
    private int _inFlight;
    private int _maxInFlight;
    private long _total;

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);
    public long Total => Interlocked.Read(ref _total);

    /// <summary>A new handler for the client factory (it builds one per handler lifetime); all report here.</summary>
    public DelegatingHandler CreateHandler() => new Handler(this);

    private void Started()
    {
        var now = Interlocked.Increment(ref _inFlight);
        Interlocked.Increment(ref _total);
        for (var seen = Volatile.Read(ref _maxInFlight); now > seen; seen = Volatile.Read(ref _maxInFlight))
        {
            if (Interlocked.CompareExchange(ref _maxInFlight, now, seen) == seen)
            {
                break;
            }
        }
    }

    private void Ended() => Interlocked.Decrement(ref _inFlight);

    private sealed class Handler(PayproCallMeter meter) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            meter.Started();
            try
            {
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                meter.Ended();
            }
        }
    }
}
