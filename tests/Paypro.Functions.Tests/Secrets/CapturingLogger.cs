using Microsoft.Extensions.Logging;
using System.Collections.Concurrent;

namespace Paypro.Functions.Tests.Secrets;

/// <summary>Keeps every log line (message and exception text) so tests can check what was said and that no secret was.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogLine> _lines = new();

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, _lines);

    public ILogger<T> CreateLogger<T>() => new Logger<T>(new SingleProviderFactory(this));

    public void Dispose()
    {
    }

    public IEnumerable<LogLine> At(LogLevel level) => Lines.Where(l => l.Level == level);

    /// <summary>Fails when any log line contains any of the given secrets, without printing the secret.</summary>
    public void AssertNoSecret(params string[] secrets)
    {
        foreach (var line in Lines)
        {
            for (var i = 0; i < secrets.Length; i++)
            {
                Assert.False(line.Text.Contains(secrets[i], StringComparison.Ordinal),
                    $"Log line {line.EventId} ({line.Level}, {line.Category}) contains secret number {i}.");
            }
        }
    }

    internal sealed record LogLine(string Category, LogLevel Level, EventId EventId, string Message, string Text);

    private sealed class CapturingLogger(string category, ConcurrentQueue<LogLine> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}"))
                : string.Empty;
            lines.Enqueue(new LogLine(category, logLevel, eventId, message, $"{message} {structured} {exception}"));
        }
    }

    private sealed class SingleProviderFactory(ILoggerProvider provider) : ILoggerFactory
    {
        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => provider.CreateLogger(categoryName);

        public void Dispose()
        {
        }
    }
}
