using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Azure.Storage.Queues.Specialized;
using Paypro.Functions.Telemetry;

namespace Paypro.Functions.DevHost;

/// <summary>
/// The development host's queue trigger, with the host's semantics: receive with a visibility lease (renewed
/// while the function runs), run up to batchSize + newBatchThreshold messages at once, delete on success, make
/// a failed message visible again after host.json's visibilityTimeout, and move it to <c>&lt;queue&gt;-poison</c>
/// once it has been dequeued maxDequeueCount times. An empty queue is polled with exponential back-off up to
/// maxPollingInterval.
/// </summary>
internal sealed class QueueListener
{
    internal static readonly TimeSpan MinPollingInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>The log category of the listeners and of their poison moves.</summary>
    internal const string LogCategory = "Paypro.Functions.DevHost.QueueListener";

    private readonly QueueFunction _function;
    private readonly QueueClient _queue;
    private readonly QueueClient _poisonQueue;
    private readonly IFunctionInvocation _invocation;
    private readonly HostJson _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _maxParallelism;

    public QueueListener(
        QueueFunction function,
        QueueServiceClient queues,
        string queueName,
        IFunctionInvocation invocation,
        HostJson options,
        TimeProvider time,
        ILogger logger)
    {
        _function = function;
        _queue = queues.GetQueueClient(queueName);
        _poisonQueue = queues.GetQueueClient(Configuration.QueueNames.PoisonOf(queueName));
        _invocation = invocation;
        _options = options;
        _time = time;
        _logger = logger;
        _maxParallelism = options.QueueConcurrency;
        // The host leases a received message for 10 minutes and renews it while the function runs. The
        // development host leases for visibilityTimeout instead (renewed the same way), so the messages of a
        // killed process come back after that wait, as a failed one does, rather than after 10 minutes.
        _lease = options.VisibilityTimeout >= TimeSpan.FromSeconds(1) ? options.VisibilityTimeout : TimeSpan.FromSeconds(30);
    }

    private readonly TimeSpan _lease;

    public string QueueName => _queue.Name;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var running = new List<Task>();
        using var slots = new SemaphoreSlim(_maxParallelism, _maxParallelism);
        try
        {
            await EnsureQueueAsync(stoppingToken).ConfigureAwait(false);
            var idleDelay = MinPollingInterval;
            while (!stoppingToken.IsCancellationRequested)
            {
                await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
                // One receive takes at most 32 messages, the host's largest batch.
                var wanted = 1;
                while (wanted < Math.Min(_maxParallelism, 32) && slots.Wait(0))
                {
                    wanted++;
                }

                QueueMessage[] messages;
                try
                {
                    messages = (await _queue.ReceiveMessagesAsync(wanted, _lease, stoppingToken).ConfigureAwait(false)).Value;
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // Storage down, a network fault: keep listening, as the host does.
                    slots.Release(wanted);
                    _logger.ReceiveFailed(ex, _queue.Name, _options.MaxPollingInterval);
                    await Task.Delay(_options.MaxPollingInterval, _time, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                if (messages.Length < wanted)
                {
                    slots.Release(wanted - messages.Length);
                }
                if (messages.Length == 0)
                {
                    await Task.Delay(idleDelay, _time, stoppingToken).ConfigureAwait(false);
                    idleDelay = TimeSpan.FromTicks(Math.Min(idleDelay.Ticks * 2, _options.MaxPollingInterval.Ticks));
                    continue;
                }
                idleDelay = MinPollingInterval;

                running.RemoveAll(task => task.IsCompleted);
                foreach (var message in messages)
                {
                    running.Add(ProcessAndReleaseAsync(message, slots, stoppingToken));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // Let messages already handed to the function finish (or observe the cancellation) before the slots go away.
        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private async Task ProcessAndReleaseAsync(QueueMessage message, SemaphoreSlim slots, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Yield();
            await ProcessAsync(message, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the lease runs out and the message is delivered again later.
        }
        catch (Exception ex)
        {
            _logger.HandlingFailed(ex, message.MessageId, _queue.Name);
        }
        finally
        {
            slots.Release();
        }
    }

    internal async Task ProcessAsync(QueueMessage message, CancellationToken stoppingToken)
    {
        // A message dequeued more often than allowed crashed or timed out every earlier attempt without
        // reporting a failure; running it again would only repeat that.
        if (message.DequeueCount > _options.MaxDequeueCount)
        {
            await MoveToPoisonAsync(message, message.PopReceipt, stoppingToken).ConfigureAwait(false);
            return;
        }

        var lease = new MessageLease(this, message);
        Exception? failure = null;
        try
        {
            lease.StartRenewing(stoppingToken);
            using var logScope = _logger.BeginScope(new KeyValuePair<string, object>[]
            {
                new("FunctionName", _function.Name),
                new("MessageId", message.MessageId),
                new("DequeueCount", message.DequeueCount)
            });
            await _invocation.InvokeQueueAsync(_function, message, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await lease.StopRenewingAsync().ConfigureAwait(false);
            throw;
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        var popReceipt = await lease.StopRenewingAsync().ConfigureAwait(false);
        if (failure is null)
        {
            await _queue.DeleteMessageAsync(message.MessageId, popReceipt, stoppingToken).ConfigureAwait(false);
            return;
        }

        if (message.DequeueCount >= _options.MaxDequeueCount)
        {
            _logger.LastAttemptFailed(failure, _function.Name, message.MessageId, message.DequeueCount, _options.MaxDequeueCount);
            await MoveToPoisonAsync(message, popReceipt, stoppingToken).ConfigureAwait(false);
            return;
        }

        _logger.AttemptFailed(
            failure,
            _function.Name,
            message.MessageId,
            message.DequeueCount,
            _options.MaxDequeueCount,
            _options.VisibilityTimeout);
        await _queue.UpdateMessageAsync(
            message.MessageId,
            popReceipt,
            visibilityTimeout: _options.VisibilityTimeout,
            cancellationToken: stoppingToken).ConfigureAwait(false);
    }

    private Task MoveToPoisonAsync(QueueMessage message, string popReceipt, CancellationToken cancellationToken) =>
        MoveToPoisonAsync(
            _queue,
            _poisonQueue,
            message,
            popReceipt,
            $"after {message.DequeueCount} deliveries.",
            _logger,
            cancellationToken);

    /// <summary>
    /// Makes the queue clients move a received message that is not base64 straight to its queue's poison queue, with its
    /// text as received, as the host's queue extension does: a producer skipped the encoding queue triggers expect, so it can
    /// never be processed, and without this the SDK would fail the whole batch it came in. The listener receives
    /// asynchronously only, so the event is never raised on a synchronous call. A poison queue's own stay where they are.
    /// </summary>
    internal static void MoveUndecodableToPoison(QueueClientOptions options, ILogger logger) =>
        options.MessageDecodingFailed += args =>
            args.ReceivedMessage is not { } message
            || args.Queue.Name.EndsWith(Configuration.QueueNames.PoisonSuffix, StringComparison.Ordinal)
                ? Task.CompletedTask
                : MoveToPoisonAsync(
                    args.Queue,
                    args.Queue.GetParentQueueServiceClient().GetQueueClient(Configuration.QueueNames.PoisonOf(args.Queue.Name)),
                    message,
                    message.PopReceipt,
                    "its text is not base64, the encoding queue triggers expect.",
                    logger,
                    args.CancellationToken);

    private static async Task MoveToPoisonAsync(
        QueueClient queue,
        QueueClient poison,
        QueueMessage message,
        string popReceipt,
        string reason,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        await poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        // The copy goes first: a crash between the two leaves a duplicate in the poison queue, never a lost message.
        await poison.SendMessageAsync(message.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
        await queue.DeleteMessageAsync(message.MessageId, popReceipt, cancellationToken).ConfigureAwait(false);
        // The body may hold personal data, so only its id is logged.
        logger.MessagePoisoned(message.MessageId, queue.Name, poison.Name, reason);
    }

    private async Task EnsureQueueAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                await _queue.CreateIfNotExistsAsync(cancellationToken: stoppingToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                _logger.CreateQueueFailed(ex, _queue.Name, _options.MaxPollingInterval);
                await Task.Delay(_options.MaxPollingInterval, _time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Keeps a message invisible while its function runs, and tracks the pop receipt each renewal replaces.</summary>
    private sealed class MessageLease(QueueListener listener, QueueMessage message)
    {
        private readonly CancellationTokenSource _stop = new();
        private string _popReceipt = message.PopReceipt;
        private Task _renewing = Task.CompletedTask;

        public void StartRenewing(CancellationToken stoppingToken) => _renewing = RenewAsync(stoppingToken);

        public async Task<string> StopRenewingAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _renewing.ConfigureAwait(false);
            _stop.Dispose();
            return _popReceipt;
        }

        private async Task RenewAsync(CancellationToken stoppingToken)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, stoppingToken);
            var timeout = listener._lease;
            try
            {
                while (true)
                {
                    await Task.Delay(timeout / 2, listener._time, linked.Token).ConfigureAwait(false);
                    // A renewal already sent is seen through, not cancelled when the function ends: the queue may have
                    // applied it, and then only its new pop receipt deletes the message. Shutdown still cancels it.
                    var receipt = await listener._queue.UpdateMessageAsync(
                        message.MessageId,
                        _popReceipt,
                        visibilityTimeout: timeout,
                        cancellationToken: stoppingToken).ConfigureAwait(false);
                    _popReceipt = receipt.Value.PopReceipt;
                }
            }
            catch (OperationCanceledException) when (linked.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                listener._logger.LeaseRenewalFailed(ex, message.MessageId, listener._queue.Name);
            }
        }
    }
}
