namespace Paypro.Functions.Hosting;

/// <summary>
/// Collects what is logged during one host invocation, for the <c>Logs</c> array of the answer, which the
/// host attaches to the invocation in its own logs. The console logger still writes every line to stdout,
/// because the host drops <c>Logs</c> when the invocation fails.
/// </summary>
internal sealed class InvocationLogs
{
    private const int MaxLines = 100;
    private static readonly AsyncLocal<InvocationLogs?> CurrentInvocation = new();
    private readonly List<string> _lines = [];

    public static InvocationLogs? Current => CurrentInvocation.Value;

    public static InvocationLogs Begin() => CurrentInvocation.Value = new InvocationLogs();

    public static void End() => CurrentInvocation.Value = null;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public void Add(string line)
    {
        lock (_lines)
        {
            if (_lines.Count < MaxLines)
            {
                _lines.Add(line);
            }
        }
    }
}

[ProviderAlias("FunctionsHostInvocation")]
internal sealed class InvocationLogProvider : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new InvocationLogger(categoryName);

    public void Dispose()
    {
    }

    private sealed class InvocationLogger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information && InvocationLogs.Current is not null;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel) || InvocationLogs.Current is not { } logs)
            {
                return;
            }
            var message = formatter(state, exception);
            logs.Add(exception is null
                ? $"{logLevel}: {category}: {message}"
                : $"{logLevel}: {category}: {message} ({exception.GetType().Name}: {exception.Message})");
        }
    }
}
