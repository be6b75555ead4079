using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Paypro.Load;

/// <summary>
/// Keeps the app's warnings and errors (formatted, with the exception's message), so a scenario can find the reason the app
/// logged for what it did.
/// </summary>
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

        public void Log<TState>(
            LogLevel logLevel,
            EventId eventId,
            TState state,
            Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                capture.Add(exception is null
                    ? formatter(state, null)
                    : $"{formatter(state, exception)} ({exception.GetType().Name}: {exception.Message})");
            }
        }
    }
}
