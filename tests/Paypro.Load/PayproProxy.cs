using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Paypro.Load;

/// <summary>
/// A metering proxy in front of Paypro (the sandbox), for an app that runs as a process of its own, where no handler
/// can be added to its clients: the app's Paypro base URL points here, every request is passed on as it came and
/// answered as Paypro answered, and the queries (paths starting with <c>/api/query</c>) are counted: how many, and
/// how many were in flight at once at most. Each attempt of the app's retry handler is a request of its own here.
/// </summary>
public sealed class PayproProxy : IAsyncDisposable
{
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Content-Length",
    };

    private readonly WebApplication _app;
    private readonly HttpClient _client;
    private readonly PayproCallMeter _queries = new();

    private PayproProxy(WebApplication app, HttpClient client)
    {
        _app = app;
        _client = client;
    }

    /// <summary>Where the app sends its Paypro calls instead of Paypro's own address.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The most queries that were in flight at once.</summary>
    public int MaxInFlight => _queries.MaxInFlight;

    /// <summary>The queries, every attempt counted.</summary>
    public long Total => _queries.Total;

    public static async Task<PayproProxy> StartAsync(Uri paypro, CancellationToken cancellationToken)
    {
        var app = Loopback.CreateServer();
        var client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            MaxConnectionsPerServer = int.MaxValue,
            AllowAutoRedirect = false,
        })
        {
            BaseAddress = paypro,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        var proxy = new PayproProxy(app, client);
        app.Run(proxy.ForwardAsync);
        await app.StartAsync(cancellationToken);
        proxy.BaseUrl = new Uri(app.Urls.Single());
        return proxy;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var metered = context.Request.Path.StartsWithSegments("/api", out var rest)
            && rest.Value?.StartsWith("/query", StringComparison.Ordinal) == true;
        if (metered)
        {
            _queries.Started();
        }
        try
        {
            using var request = new HttpRequestMessage(
                new HttpMethod(context.Request.Method),
                context.Request.Path + context.Request.QueryString);
            if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
            {
                request.Content = new StreamContent(context.Request.Body);
            }
            foreach (var (name, values) in context.Request.Headers)
            {
                if (NotForwarded.Contains(name))
                {
                    continue;
                }
                if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
                {
                    request.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
                }
            }
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!NotForwarded.Contains(name))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }
            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
        catch (HttpRequestException) when (!context.Response.HasStarted)
        {
            // Paypro dropped the connection (a fault the sandbox injects): the app sees a dropped connection too.
            context.Abort();
        }
        finally
        {
            if (metered)
            {
                _queries.Ended();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Loopback.StopServerAsync(_app);
        }
        finally
        {
            _client.Dispose();
        }
    }
}
