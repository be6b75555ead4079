using System.Net;

namespace Paypro.Functions.Tests.Hosting;

/// <summary>The platform's switch <c>AzureWebJobs.&lt;FunctionName&gt;.Disabled</c>, one host rule for both modes.</summary>
public sealed class DisabledFunctionTests
{
    [Fact]
    public async Task A_disabled_http_function_answers_404_while_the_others_run()
    {
        var settings = HostingTestApp.DevHost();
        settings["AzureWebJobs.GetThing.Disabled"] = "true";
        await using var app = await HostingTestApp.StartAsync(settings, [typeof(RecordingHttpFunctions)]);

        using var disabled = await app.Http.GetAsync($"/api/things/7?code={HostingTestApp.FunctionKey}");
        using var enabled = await app.Http.GetAsync("/api/ping");

        Assert.Equal(HttpStatusCode.NotFound, disabled.StatusCode);
        Assert.Equal(HttpStatusCode.OK, enabled.StatusCode);
    }

    [Fact]
    public async Task A_disabled_queue_or_timer_function_gets_no_listener()
    {
        var settings = HostingTestApp.DevHost();
        settings[$"AzureWebJobs.{RecordingQueueFunction.Name}.Disabled"] = "True";
        settings[$"AzureWebJobs.{RecordingTimerFunction.Name}.Disabled"] = "1";
        // Neither the queue's setting nor storage is needed: a disabled trigger is not set up at all.
        await using var app = await HostingTestApp.StartAsync(settings, [typeof(RecordingQueueFunction), typeof(RecordingTimerFunction)]);

        var entries = app.Logs.GetSnapshot();
        Assert.Contains(
            entries,
            entry => entry.Id.Id == 2013 && entry.Message.StartsWith(RecordingQueueFunction.Name, StringComparison.Ordinal));
        Assert.Contains(
            entries,
            entry => entry.Id.Id == 2013 && entry.Message.StartsWith(RecordingTimerFunction.Name, StringComparison.Ordinal));
        Assert.DoesNotContain(entries, entry => entry.Id.Id is 2010 or 2011);
    }
}
