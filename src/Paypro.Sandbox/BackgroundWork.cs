using System.Collections.Concurrent;

namespace Paypro.Sandbox;

/// <summary>
/// The sandbox's timers and callback deliveries. A reset cancels what is pending, so work of the
/// old state cannot reach the new one; disposal waits for everything to stop.
/// </summary>
internal sealed partial class BackgroundWork : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private readonly ILogger<BackgroundWork> _logger;
    private readonly CancellationTokenRegistration _stopping;
    private CancellationTokenSource _cancellation = new();

    public BackgroundWork(IHostApplicationLifetime lifetime, ILogger<BackgroundWork> logger)
    {
        _logger = logger;
        // Stopped with the app, before the services it uses (the callback HTTP client) are disposed.
        _stopping = lifetime.ApplicationStopping.Register(() => Volatile.Read(ref _cancellation).Cancel());
    }

    /// <summary>
    /// Starts <paramref name="work"/> on the caller's thread, so whatever it does before its first
    /// await (arming a timer) is done when this returns: a test that then moves a fake clock cannot
    /// move it before the timer exists.
    /// </summary>
    public void Run(Func<CancellationToken, Task> work)
    {
        var token = Volatile.Read(ref _cancellation).Token;
        Task task;
        try
        {
            task = work(token);
        }
        catch (Exception ex)
        {
            task = Task.FromException(ex);
        }
        _running.TryAdd(task, 0);
        task.ContinueWith(
            t =>
            {
                _running.TryRemove(t, out _);
                if (t.Exception is { } ex && !token.IsCancellationRequested)
                {
                    LogFailed(ex.GetBaseException().GetType().Name);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Cancels everything pending; new work runs under a fresh token.</summary>
    public void CancelAll() => Interlocked.Exchange(ref _cancellation, new CancellationTokenSource()).Cancel();

    public async ValueTask DisposeAsync()
    {
        await _stopping.DisposeAsync().ConfigureAwait(false);
        await Volatile.Read(ref _cancellation).CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_running.Keys).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Cancelled or failed work was already logged; disposal only waits for it to stop.
        }
    }

    // Only the exception type: a message could quote a notify URL with its function key.
    [LoggerMessage(Level = LogLevel.Error, Message = "Background work of the sandbox failed with {ExceptionType}")]
    private partial void LogFailed(string exceptionType);
}
