using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Paypro.Functions.Tests.Infrastructure;

/// <summary>Keeps every log entry an app under test writes, so tests can assert on markers and on what must not be logged.</summary>
public sealed class LogCollector : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public IEnumerable<string> Messages => _entries.Select(entry => entry.Message);

    /// <summary>Everything logged, messages and exceptions, as one text: for "never logged" assertions.</summary>
    public string AllText => string.Join('\n', _entries.Select(entry => $"{entry.Category} {entry.Level} {entry.Message} {entry.Exception}"));

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    public sealed record LogEntry(string Category, LogLevel Level, string Message, Exception? Exception);

    private sealed class Logger(string category, ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue(new LogEntry(category, logLevel, formatter(state, exception), exception));
    }
}
