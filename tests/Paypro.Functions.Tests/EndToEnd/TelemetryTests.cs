using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Paypro.Functions.Telemetry;
using Paypro.Functions.Tests.Infrastructure;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.EndToEnd;

/// <summary>
/// One payout is one trace, from the producer's traceparent to the event that announces the result; and nothing
/// personal or secret reaches a span or a metric. Every span and metric of the run is captured in memory.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class TelemetryTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_payout_from_a_message_with_a_traceparent_to_its_event_is_one_trace()
    {
        var activities = new List<Activity>();
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox, configure: services =>
            services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(activities)));
        var traceId = ActivityTraceId.CreateRandom();
        var producerSpan = ActivitySpanId.CreateRandom();
        var tradeNo = TestTradeNos.New("TR");

        await app.EnqueueAsync(
            app.PayoutsQueue,
            PayproAppHarness.PayoutMessage(tradeNo, extra: $",\"traceparent\":\"00-{traceId}-{producerSpan}-01\""));
        await app.WaitForStateAsync(tradeNo, TransactionState.Succeeded);
        var announced = Assert.Single(await app.ExactlyEventsAsync(tradeNo, 1));
        await Eventually.UntilAsync(
            () => Spans(activities).Any(a => a.OperationName == TransactionTracing.EventSend && Tag(a, "paypro.trade_no") == tradeNo),
            "the event's send span was exported");

        var trace = Spans(activities).Where(a => a.TraceId == traceId).ToList();
        var submit = Assert.Single(trace, a => a.OperationName == TransactionTracing.Submit);
        Assert.Equal(producerSpan, submit.ParentSpanId);
        Assert.Equal(tradeNo, Tag(submit, "paypro.trade_no"));
        // The submit span belongs to the producer's trace and is linked to the invocation that ran it.
        var invocation = Assert.Single(
            Spans(activities),
            a => a.OperationName == "Invoke SubmitPayout" && submit.Links.Any(l => l.Context.SpanId == a.SpanId));
        Assert.Equal(ActivityKind.Consumer, invocation.Kind);
        var call = Assert.Single(trace, a => a.Source.Name == PayproTelemetry.SourceName && a.OperationName == "paypro /api/payout");
        Assert.Equal(ActivityKind.Client, call.Kind);
        Assert.Equal(submit.SpanId, call.ParentSpanId);
        Assert.Equal("Accepted", Tag(call, "paypro.outcome"));
        Assert.Equal("0000", Tag(call, "paypro.code"));
        var callback = Assert.Single(trace, a => a.OperationName == TransactionTracing.Callback);
        Assert.Equal("applied", Tag(callback, "paypro.verdict"));
        // The callback's invocation span ends once the answer is written, a moment after the callback span.
        await Eventually.UntilAsync(
            () => callback.Links.Any(l => Spans(activities)
                .Any(a => a.OperationName == "Invoke PayproNotify" && a.SpanId == l.Context.SpanId)),
            "the callback span is linked to the notify invocation's span");
        Assert.Contains(trace, a => a.OperationName == TransactionTracing.Write && Tag(a, "paypro.state") == "succeeded");
        Assert.Contains(trace, a => a.OperationName == TransactionTracing.EventSend && a.Kind == ActivityKind.Producer);

        // The event carries the transaction's trace, so its consumer joins the same trace.
        var traceparent = announced.GetProperty("traceparent").GetString()!;
        Assert.True(ActivityContext.TryParse(traceparent, null, out var carried));
        Assert.Equal(traceId, carried.TraceId);
        Assert.Equal(submit.SpanId, carried.SpanId);
        Assert.Equal(traceparent, (await app.GetAsync(tradeNo))!.TraceParent);
    }

    [Fact]
    public async Task Without_a_traceparent_a_new_trace_starts_and_the_event_still_carries_it()
    {
        var activities = new List<Activity>();
        await using var sandbox = PayproAppHarness.StartSandbox();
        await using var app = await PayproAppHarness.StartAsync(azurite, sandbox, configure: services =>
            services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(activities)));
        var tradeNo = TestTradeNos.New("TN");

        await app.EnqueuePayoutAsync(tradeNo);
        await app.WaitForStateAsync(tradeNo, TransactionState.Succeeded);
        var announced = Assert.Single(await app.ExactlyEventsAsync(tradeNo, 1));

        var submit = Assert.Single(
            Spans(activities),
            a => a.OperationName == TransactionTracing.Submit && Tag(a, "paypro.trade_no") == tradeNo);
        Assert.True(ActivityContext.TryParse(announced.GetProperty("traceparent").GetString(), null, out var carried));
        Assert.Equal(submit.TraceId, carried.TraceId);
        Assert.Contains(Spans(activities), a => a.OperationName == TransactionTracing.Callback && a.TraceId == submit.TraceId);
    }

    [Fact]
    public async Task No_span_or_metric_of_a_full_run_holds_a_mobile_number_a_sign_a_secret_or_a_key()
    {
        var activities = new List<Activity>();
        var metrics = new List<Metric>();
        await using var sandbox = PayproAppHarness.StartSandbox(options => options.LongProcessingDelay = TimeSpan.FromDays(1));
        await using var app = await PayproAppHarness.StartAsync(
            azurite,
            sandbox,
            new Dictionary<string, string?> { ["Submit:HttpEnabled"] = "true" },
            services =>
            {
                services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(activities));
                services.ConfigureOpenTelemetryMeterProvider(meters => meters.AddInMemoryExporter(metrics));
            });
        const string mobile = TestMobiles.Success;
        const string pendingMobile = TestMobiles.LongProcessing;
        var paid = TestTradeNos.New("PIIA");
        var pending = TestTradeNos.New("PIIB");
        var signs = new List<string>();

        // A payout paid through the callback, one left processing and followed up by a poll, an HTTP submit, a
        // forged and a malformed callback, a rejected and a poisoned message, and the operator's API.
        await app.EnqueuePayoutAsync(paid, mobile: mobile);
        await app.WaitForStateAsync(paid, TransactionState.Succeeded);
        await app.EnqueuePayoutAsync(pending, mobile: pendingMobile);
        await app.WaitForStateAsync(pending, TransactionState.Submitted);
        await app.PollUntilAsync(pending, TransactionState.Processing);
        using var submitted = await app.Http.PostAsync(
            $"/api/payouts?code={PayproAppHarness.FunctionKey}",
            new StringContent(
                PayproAppHarness.PayoutMessage(TestTradeNos.New("PIIC"), mobile: "254712345601"),
                System.Text.Encoding.UTF8,
                "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var forgedFields = NotifyBodies.Fields(pending, "0000");
        var forgedSign = NotifyBodies.Sign(forgedFields, "not-the-secret");
        signs.Add(forgedSign);
        using var forged = await app.PostNotifyAsync(NotifyBodies.Json(forgedFields, forgedSign));
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        using var malformed = await app.PostNotifyAsync("{\"tradeNo\":");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        await app.EnqueueAsync(app.PayoutsQueue, """{"tradeNo":"PIIREJECT1","amount":10,"mobile":"254712345602"}""");
        await app.EnqueueAsync(app.PayoutsQueue, """{"amount":120,"mobile":"254712345603"}""");
        await app.WaitForStateAsync("PIIREJECT1", TransactionState.Rejected);
        await Eventually.UntilAsync(
            async () => (await app.PeekAsync(Paypro.Functions.Configuration.QueueNames.PoisonOf(app.PayoutsQueue))).Count == 1,
            "the message without a tradeNo was poisoned");
        using var view = await app.GetApiAsync($"payouts/{paid}");
        Assert.Equal(HttpStatusCode.OK, view.StatusCode);
        signs.AddRange(sandbox.Callbacks.Select(c => JsonDocument.Parse(c.Body).RootElement)
            .Where(body => body.TryGetProperty("sign", out _)).Select(body => body.GetProperty("sign").GetString()!));
        Assert.NotEmpty(signs);

        app.App.Services.GetRequiredService<TracerProvider>().ForceFlush();
        app.App.Services.GetRequiredService<MeterProvider>().ForceFlush();
        var text = string.Join('\n', Spans(activities).Select(Describe).Concat(metrics.ToList().Select(Describe)));

        Assert.Contains(TransactionTracing.Callback, text, StringComparison.Ordinal);
        Assert.Contains(FunctionsMetrics.Transitions.Name, text, StringComparison.Ordinal);
        Assert.Contains(PayproTelemetry.CallDurationName, text, StringComparison.Ordinal);
        foreach (var secret in new[]
        {
            mobile,
            pendingMobile,
            "254712345601",
            "254712345602",
            "254712345603",
            sandbox.Options.AppSecret,
            PayproAppHarness.FunctionKey,
            PayproAppHarness.MasterKey,
        }.Concat(signs))
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
        Assert.DoesNotMatch(@"2547\d{8}", text);
    }

    private static List<Activity> Spans(List<Activity> activities)
    {
        lock (activities)
        {
            return [.. activities];
        }
    }

    private static string? Tag(Activity activity, string name) => activity.GetTagItem(name)?.ToString();

    private static string Describe(Activity activity) =>
        $"{activity.Source.Name} {activity.OperationName} {activity.DisplayName} {activity.StatusDescription} " +
        string.Join(' ', activity.TagObjects.Select(t => $"{t.Key}={t.Value}")) + " " +
        string.Join(' ', activity.Events.Select(e => e.Name + " " + string.Join(' ', e.Tags.Select(t => $"{t.Key}={t.Value}")))) + " " +
        string.Join(' ', activity.Baggage.Select(b => $"{b.Key}={b.Value}"));

    private static string Describe(Metric metric)
    {
        var points = new List<string>();
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var tags = new List<string>();
            foreach (var tag in point.Tags)
            {
                tags.Add($"{tag.Key}={tag.Value}");
            }
            points.Add(string.Join(' ', tags));
        }
        return $"{metric.MeterName} {metric.Name} {metric.Description} {string.Join(" | ", points)}";
    }
}
