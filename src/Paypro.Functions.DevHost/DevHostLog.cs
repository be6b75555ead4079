namespace Paypro.Functions.DevHost;

/// <summary>Every log entry of the development host, with its event id (2xxx) and name.</summary>
internal static partial class DevHostLog
{
    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "{FunctionName} listens on queue {Queue}.")]
    public static partial void ListensOnQueue(this ILogger logger, string functionName, string queue);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Information,
        Message = "{FunctionName} runs on schedule {Schedule} (UTC), next at {Next:O}.")]
    public static partial void RunsOnSchedule(this ILogger logger, string functionName, string schedule, DateTimeOffset next);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Information,
        Message = "{FunctionName} is disabled (AzureWebJobs.{FunctionName}.Disabled): its trigger does not run.")]
    public static partial void FunctionDisabled(this ILogger logger, string functionName);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Error,
        Message = "{FunctionName} failed for its run due at {Due:O}; the next run is due at {Next:O}.")]
    public static partial void TimerRunFailed(
        this ILogger logger,
        Exception exception,
        string functionName,
        DateTimeOffset due,
        DateTime? next);

    [LoggerMessage(EventId = 2020, Level = LogLevel.Warning, Message = "Receiving from queue {Queue} failed; retrying in {Delay}.")]
    public static partial void ReceiveFailed(this ILogger logger, Exception exception, string queue, TimeSpan delay);

    [LoggerMessage(EventId = 2021, Level = LogLevel.Error,
        Message = "Handling message {MessageId} from queue {Queue} failed; it will be delivered again when its lease runs out.")]
    public static partial void HandlingFailed(this ILogger logger, Exception exception, string messageId, string queue);

    [LoggerMessage(EventId = 2022, Level = LogLevel.Error,
        Message = "{FunctionName} failed for message {MessageId} on its last allowed attempt ({DequeueCount} of {MaxDequeueCount}).")]
    public static partial void LastAttemptFailed(
        this ILogger logger,
        Exception exception,
        string functionName,
        string messageId,
        long dequeueCount,
        int maxDequeueCount);

    [LoggerMessage(EventId = 2023, Level = LogLevel.Error,
        Message = "{FunctionName} failed for message {MessageId} (attempt {DequeueCount} of {MaxDequeueCount});"
            + " retrying after {VisibilityTimeout}.")]
    public static partial void AttemptFailed(
        this ILogger logger,
        Exception exception,
        string functionName,
        string messageId,
        long dequeueCount,
        int maxDequeueCount,
        TimeSpan visibilityTimeout);

    [LoggerMessage(EventId = 2024, Level = LogLevel.Warning, Message = "Creating queue {Queue} failed; retrying in {Delay}.")]
    public static partial void CreateQueueFailed(this ILogger logger, Exception exception, string queue, TimeSpan delay);

    [LoggerMessage(EventId = 2025, Level = LogLevel.Warning,
        Message = "Renewing the lease of message {MessageId} on queue {Queue} failed; it may be delivered again while still running.")]
    public static partial void LeaseRenewalFailed(this ILogger logger, Exception exception, string messageId, string queue);

    [LoggerMessage(EventId = 2030, Message = "{Line}")]
    public static partial void WorkerOutput(this ILogger logger, LogLevel level, string line);

    [LoggerMessage(EventId = 2031, Level = LogLevel.Information, Message = "Worker process {ProcessId} started: {WorkerPath}.")]
    public static partial void WorkerStarted(this ILogger logger, int processId, string workerPath);

    [LoggerMessage(EventId = 2032, Level = LogLevel.Information,
        Message = "Worker process {ProcessId} is ready: {Count} functions, HTTP at {HttpUri}.")]
    public static partial void WorkerReady(this ILogger logger, int processId, int count, Uri? httpUri);

    [LoggerMessage(EventId = 2033, Level = LogLevel.Error,
        Message = "Worker process {ProcessId} exited with code {ExitCode}; restarting it in {Delay}.")]
    public static partial void WorkerExited(this ILogger logger, int processId, int exitCode, TimeSpan delay);

    [LoggerMessage(EventId = 2034, Level = LogLevel.Critical,
        Message = "The worker could not be restarted; the host emulator stops. {Reason}")]
    public static partial void WorkerRestartFailed(this ILogger logger, Exception exception, string reason);

    [LoggerMessage(EventId = 2035, Level = LogLevel.Warning,
        Message = "{FunctionName} ran past functionTimeout ({Timeout}); invocation {InvocationId} is cancelled and counts as failed.")]
    public static partial void InvocationTimedOut(this ILogger logger, string functionName, TimeSpan timeout, string invocationId);
}
