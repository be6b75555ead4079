using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Paypro.Sandbox.Tests.Infrastructure;

/// <summary>
/// A merchant's notify endpoint on a free loopback port: records every callback and answers with
/// <see cref="Answer"/> (<c>OK</c> by default), or holds the answer while <see cref="Hang"/> is set.
/// </summary>
internal sealed class CallbackReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedCallback> _received = new();

    private CallbackReceiver(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    /// <summary>The notify URL, with a function-key-like query value that must never be logged.</summary>
    public string NotifyUrl => new Uri(BaseUrl, "api/paypro/notify?code=" + FunctionKey).ToString();

    public const string FunctionKey = "fn-key-must-stay-secret";

    /// <summary>What to answer for the n-th callback (0-based).</summary>
    public Func<int, string> Answer { get; set; } = _ => "OK";

    public int StatusCode { get; set; } = 200;

    public bool Hang { get; set; }

    public IReadOnlyList<ReceivedCallback> Received => _received.ToArray();

    public static async Task<CallbackReceiver> StartAsync(string? answer = null)
    {
        var builder = WebApplication.CreateSlimBuilder(["--hostBuilder:reloadConfigOnChange=false"]);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        CallbackReceiver? receiver = null;
        app.MapPost("/api/paypro/notify", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var index = receiver!._received.Count;
            receiver._received.Enqueue(new ReceivedCallback(body, http.Request.Query["code"].ToString(), TimeProvider.System.GetUtcNow()));
            if (receiver.Hang)
            {
                await Task.Delay(Timeout.Infinite, http.RequestAborted).ContinueWith(_ => { });
                return;
            }
            http.Response.StatusCode = receiver.StatusCode;
            await http.Response.WriteAsync(receiver.Answer(index));
        });
        await app.StartAsync();
        receiver = new CallbackReceiver(app, new Uri(app.Urls.First() + "/"));
        if (answer is not null)
        {
            receiver.Answer = _ => answer;
        }
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <param name="Body">The raw JSON body.</param>
/// <param name="Code">The <c>code</c> query value the callback was posted with.</param>
/// <param name="ReceivedAt">System time at arrival, the clock a sandbox on TimeProvider.System uses too.</param>
internal sealed record ReceivedCallback(string Body, string Code, DateTimeOffset ReceivedAt)
{
    public PayproFields Fields => PayproFields.Parse(Body);
}
