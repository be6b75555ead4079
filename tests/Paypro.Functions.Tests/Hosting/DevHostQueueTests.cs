using System.Collections.Concurrent;
using System.Diagnostics;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Paypro.Functions.DevHost;
using Paypro.Functions.Storage;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Tests.Infrastructure;

namespace Paypro.Functions.Tests.Hosting;

/// <summary>The development host's queue trigger against Azurite, with the host's semantics.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class DevHostQueueTests(AzuriteFixture azurite)
{
    private const string QueueSetting = RecordingQueueFunction.QueueSetting;
    private const string MaxDequeueCount = "AzureFunctionsJobHost:extensions:queues:maxDequeueCount";
    private const string VisibilityTimeout = "AzureFunctionsJobHost:extensions:queues:visibilityTimeout";

    /// <summary>Messages in flight at once, from the repository's host.json (batchSize + newBatchThreshold).</summary>
    private static int Bound => HostJson.Load(new ConfigurationBuilder().Build()).QueueConcurrency;

    [Fact]
    public async Task Message_is_delivered_once_and_deleted_on_success()
    {
        var queueName = UniqueQueueName();
        var recorder = new FunctionRecorder();
        await using var app = await StartAsync(recorder, queueName);
        var queue = await CreateQueueAsync(queueName);
        const string text = """{"tradeNo":"T-2001","amount":"1500"}""";

        var sent = await queue.SendMessageAsync(text);

        await Eventually.UntilAsync(() => recorder.QueueTriggers.Count == 1, "the function received the message");
        await Eventually.UntilAsync(async () => await CountAsync(queue) == 0, "the message was deleted");
        var trigger = Assert.Single(recorder.QueueTriggers);
        Assert.Equal(text, trigger.MessageText);
        Assert.Equal(sent.Value.MessageId, trigger.MessageId);
        Assert.Equal(1, trigger.DequeueCount);
        Assert.NotNull(trigger.InsertedOn);
        Assert.False((await azurite.CreateQueueServiceClient().GetQueueClient(queueName + "-poison").ExistsAsync()).Value);
    }

    [Fact]
    public async Task Failing_message_is_retried_with_growing_dequeue_count_then_moved_to_poison_with_its_text()
    {
        var queueName = UniqueQueueName();
        var recorder = new FunctionRecorder { OnQueue = (_, _) => throw new InvalidOperationException("always fails") };
        await using var app = await StartAsync(recorder, queueName, (MaxDequeueCount, "3"), (VisibilityTimeout, "00:00:01"));
        var queue = await CreateQueueAsync(queueName);
        var poison = azurite.CreateQueueServiceClient().GetQueueClient(queueName + "-poison");
        const string text = """{"tradeNo":"T-2002","mobile":"254712345611"}""";

        var sent = await queue.SendMessageAsync(text);

        await Eventually.UntilAsync(
            async () => await poison.ExistsAsync() && await CountAsync(poison) == 1,
            "the message reached the poison queue");
        Assert.Equal([1L, 2L, 3L], recorder.QueueTriggers.Select(t => t.DequeueCount));
        Assert.Equal(0, await CountAsync(queue));
        var poisoned = (await poison.PeekMessageAsync()).Value;
        Assert.Equal(text, poisoned.Body.ToString());
        // Poison messages are base64 like every other message, so a trigger on the poison queue can read them.
        var raw = (await azurite.CreateQueueServiceClient(QueueMessageEncoding.None)
            .GetQueueClient(queueName + "-poison")
            .PeekMessageAsync()).Value;
        Assert.Equal(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text)), raw.Body.ToString());

        var marker = Assert.Single(app.Logs.GetSnapshot(), entry => entry.Id.Name == LogMarkers.PoisonMessage);
        Assert.Equal(LogLevel.Error, marker.Level);
        Assert.Equal(sent.Value.MessageId, marker.GetStructuredStateValue("MessageId"));
        Assert.Equal(queueName, marker.GetStructuredStateValue("Queue"));
        Assert.DoesNotContain("254712345611", app.Logs.AllText(), StringComparison.Ordinal);
        Assert.DoesNotContain("T-2002", app.Logs.AllText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_message_stays_invisible_for_the_visibility_timeout_before_its_retry()
    {
        var queueName = UniqueQueueName();
        var failedAt = new ConcurrentQueue<long>();
        var recorder = new FunctionRecorder();
        recorder.OnQueue = (trigger, _) =>
        {
            if (trigger.DequeueCount == 1)
            {
                failedAt.Enqueue(Stopwatch.GetTimestamp());
                throw new InvalidOperationException("first attempt fails");
            }
            return Task.CompletedTask;
        };
        await using var app = await StartAsync(recorder, queueName, (VisibilityTimeout, "00:00:03"));
        var queue = await CreateQueueAsync(queueName);

        await queue.SendMessageAsync("retry me");

        await Eventually.UntilAsync(() => !failedAt.IsEmpty, "the first attempt failed");
        // Straight after the failure the message is hidden from every reader, not only from this listener.
        Assert.Empty((await queue.PeekMessagesAsync(10)).Value);
        await Eventually.UntilAsync(() => recorder.QueueTriggers.Count == 2, "the message was retried");
        var retriedAfter = Stopwatch.GetElapsedTime(failedAt.Single());
        Assert.True(
            retriedAfter >= TimeSpan.FromSeconds(2),
            $"The retry came {retriedAfter.TotalSeconds:0.00} s after the failure; the visibility timeout is 3 s.");
        Assert.Equal(2, recorder.QueueTriggers[1].DequeueCount);
        await Eventually.UntilAsync(async () => await CountAsync(queue) == 0, "the retried message was deleted");
    }

    [Fact]
    public async Task Lease_is_renewed_while_a_slow_function_runs_so_the_message_is_not_delivered_twice()
    {
        var queueName = UniqueQueueName();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorder = new FunctionRecorder { OnQueue = (_, cancellationToken) => release.Task.WaitAsync(cancellationToken) };
        // A lease of 4 s is renewed every 2 s: a renewal held up by a busy machine for a second still comes in time
        // (Azurite keeps visibility times to the second).
        await using var app = await StartAsync(recorder, queueName, (VisibilityTimeout, "00:00:04"));
        var queue = await CreateQueueAsync(queueName);

        await queue.SendMessageAsync("slow");
        await Eventually.UntilAsync(() => recorder.QueueTriggers.Count == 1, "the function started");

        // Two and a half lease lengths: without renewal the message would be visible and delivered again by now.
        await Eventually.HoldsForAsync(
            async () => recorder.QueueTriggers.Count == 1 && (await queue.PeekMessagesAsync(10)).Value.Length == 0,
            "the message to stay invisible and undelivered while the function runs",
            TimeSpan.FromSeconds(10));
        release.SetResult();
        await Eventually.UntilAsync(async () => await CountAsync(queue) == 0, "the message was deleted");
        Assert.Single(recorder.QueueTriggers);
    }

    [Fact]
    public async Task Messages_run_in_parallel_up_to_the_bound()
    {
        var queueName = UniqueQueueName();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorder = new FunctionRecorder { OnQueue = (_, cancellationToken) => release.Task.WaitAsync(cancellationToken) };
        await using var app = await StartAsync(recorder, queueName);
        var queue = await CreateQueueAsync(queueName);
        var total = Bound + 4;

        await Task.WhenAll(Enumerable.Range(0, total).Select(i => queue.SendMessageAsync("message " + i)));

        await Eventually.UntilAsync(() => recorder.Running == Bound, $"{Bound} messages run at once");
        await Eventually.HoldsForAsync(() => Task.FromResult(recorder.QueueTriggers.Count == Bound),
            "no message beyond the bound to start", TimeSpan.FromSeconds(1));
        release.SetResult();
        await Eventually.UntilAsync(() => recorder.QueueTriggers.Count == total, "every message ran");
        await Eventually.UntilAsync(async () => await CountAsync(queue) == 0, "every message was deleted");
        Assert.Equal(Bound, recorder.MaxRunning);
    }

    [Fact]
    public async Task Missing_queue_is_created_and_listened_on()
    {
        var queueName = UniqueQueueName();
        var recorder = new FunctionRecorder();
        await using var app = await StartAsync(recorder, queueName);
        var queue = azurite.CreateQueueServiceClient().GetQueueClient(queueName);

        await Eventually.UntilAsync(async () => (await queue.ExistsAsync()).Value, "the listener created the queue");
        await queue.SendMessageAsync("hello");

        await Eventually.UntilAsync(() => recorder.QueueTriggers.Count == 1, "the function received the message");
        Assert.Equal("hello", recorder.QueueTriggers[0].MessageText);
    }

    [Fact]
    public async Task Shutdown_cancels_the_running_function_and_leaves_the_message_for_redelivery()
    {
        var queueName = UniqueQueueName();
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorder = new FunctionRecorder
        {
            OnQueue = async (_, cancellationToken) =>
            {
                using var registration = cancellationToken.Register(() => cancelled.TrySetResult());
                await Task.Delay(Timeout.Infinite, cancellationToken);
            },
        };
        var app = await StartAsync(recorder, queueName, (VisibilityTimeout, "00:00:01"));
        var queue = await CreateQueueAsync(queueName);
        await queue.SendMessageAsync("in flight");
        await Eventually.UntilAsync(() => recorder.QueueTriggers.Count == 1, "the function started");

        await app.DisposeAsync();

        Assert.True(cancelled.Task.IsCompleted, "The function's cancellation token was not cancelled on shutdown.");
        await Eventually.UntilAsync(async () => (await queue.PeekMessagesAsync(1)).Value.Length == 1, "the message became visible again");
        Assert.DoesNotContain(app.Logs.GetSnapshot(), entry => entry.Id.Name == LogMarkers.PoisonMessage);
    }

    [Fact]
    public async Task Message_already_dequeued_too_often_goes_to_poison_without_running()
    {
        var queueName = UniqueQueueName();
        var queue = await CreateQueueAsync(queueName);
        await queue.SendMessageAsync("crashed the app twice");
        // Two deliveries that never reported back, as when the process died while handling the message.
        for (var i = 0; i < 2; i++)
        {
            var lost = (await queue.ReceiveMessageAsync()).Value;
            await queue.UpdateMessageAsync(lost.MessageId, lost.PopReceipt, visibilityTimeout: TimeSpan.Zero);
        }
        var recorder = new FunctionRecorder();
        await using var app = await StartAsync(recorder, queueName, (MaxDequeueCount, "2"));
        var poison = azurite.CreateQueueServiceClient().GetQueueClient(queueName + "-poison");

        await Eventually.UntilAsync(
            async () => await poison.ExistsAsync() && await CountAsync(poison) == 1,
            "the message reached the poison queue");

        Assert.Empty(recorder.QueueTriggers);
        Assert.Equal(0, await CountAsync(queue));
    }

    [Fact]
    public async Task Message_that_is_not_base64_goes_to_poison_as_received_and_the_listener_keeps_going()
    {
        var queueName = UniqueQueueName();
        var recorder = new FunctionRecorder();
        var raw = azurite.CreateQueueServiceClient(QueueMessageEncoding.None).GetQueueClient(queueName);
        await raw.CreateAsync();
        var bad = await raw.SendMessageAsync("{\"tradeNo\":\"T-3001\"} sent without base64");
        await raw.SendMessageAsync(Convert.ToBase64String("well encoded"u8.ToArray()));
        await using var app = await StartAsync(recorder, queueName);
        var poison = azurite.CreateQueueServiceClient().GetQueueClient(queueName + "-poison");

        await Eventually.UntilAsync(() => recorder.QueueTriggers.Count == 1, "the well-encoded message was delivered");
        await Eventually.UntilAsync(
            async () => await poison.ExistsAsync() && await CountAsync(poison) == 1,
            "the undecodable message reached the poison queue");

        Assert.Equal("well encoded", recorder.QueueTriggers[0].MessageText);
        Assert.Equal("{\"tradeNo\":\"T-3001\"} sent without base64", (await poison.PeekMessageAsync()).Value.Body.ToString());
        await Eventually.UntilAsync(async () => await CountAsync(raw) == 0, "both messages left the queue");
        var marker = Assert.Single(app.Logs.GetSnapshot(), entry => entry.Id.Name == LogMarkers.PoisonMessage);
        Assert.Equal(bad.Value.MessageId, marker.GetStructuredStateValue("MessageId"));
        Assert.DoesNotContain("T-3001", app.Logs.AllText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listener_survives_queue_storage_going_away_and_resumes_when_it_is_back()
    {
        await using var own = await AzuriteFixture.StartAsync();
        var queueName = UniqueQueueName();
        var recorder = new FunctionRecorder();
        var settings = HostingTestApp.DevHost();
        settings["AzureWebJobsStorage"] = own.ConnectionString;
        settings[QueueSetting] = queueName;
        await using var app = await HostingTestApp.StartAsync(settings, [typeof(RecordingQueueFunction)], builder =>
        {
            Register(builder, recorder);
            // Few, quick retries (the client factory's options, by the client's name): the storage SDK's defaults
            // would spend half a minute retrying the first receive of the outage before the listener hears of it.
            builder.Services.Configure<QueueClientOptions>(AzureClientNames.Default, options =>
            {
                options.Retry.MaxRetries = 1;
                options.Retry.Delay = TimeSpan.FromMilliseconds(50);
            });
        });
        var queue = own.CreateQueueServiceClient().GetQueueClient(queueName);
        await Eventually.UntilAsync(async () => (await queue.ExistsAsync()).Value, "the listener created the queue");

        await own.StopQueueServiceAsync();
        await Eventually.UntilAsync(
            () => app.Logs.GetSnapshot().Any(e => e.Id.Name == nameof(DevHostLog.ReceiveFailed)),
            "the listener noticed the outage");
        await own.StartQueueServiceAsync();
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync("after the outage");

        await Eventually.UntilAsync(() => recorder.QueueTriggers.Count == 1, "the message sent after the outage was delivered");
        Assert.Equal("after the outage", recorder.QueueTriggers[0].MessageText);
    }

    [Fact]
    public async Task Bad_queue_name_setting_stops_the_app_at_start_up_naming_the_setting()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(new FunctionRecorder(), "Not_A_Queue"));

        Assert.Contains(QueueSetting, error.Message, StringComparison.Ordinal);
    }

    private Task<HostingTestApp> StartAsync(FunctionRecorder recorder, string queueName, params (string Key, string Value)[] settings)
    {
        var all = HostingTestApp.DevHost();
        all["AzureWebJobsStorage"] = azurite.ConnectionString;
        all[QueueSetting] = queueName;
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }
        return HostingTestApp.StartAsync(all, [typeof(RecordingQueueFunction)], builder => Register(builder, recorder));
    }

    private static void Register(WebApplicationBuilder builder, FunctionRecorder recorder)
    {
        builder.Services.AddStorageClients(builder.Configuration);
        builder.Services.AddSingleton(recorder);
    }

    private async Task<QueueClient> CreateQueueAsync(string name)
    {
        var queue = azurite.CreateQueueServiceClient().GetQueueClient(name);
        await queue.CreateIfNotExistsAsync();
        return queue;
    }

    private static async Task<int> CountAsync(QueueClient queue) => (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;

    private static string UniqueQueueName() => "t" + Guid.NewGuid().ToString("N")[..20];
}
