using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Paypro.Tests.Infrastructure;

/// <summary>One request as it reached the wire.</summary>
public sealed record RecordedRequest(
    HttpMethod Method,
    Uri Uri,
    IReadOnlyDictionary<string, string> Headers,
    string? ContentType,
    byte[] Body)
{
    public string BodyText => Encoding.UTF8.GetString(Body);

    public PayproFields Fields => PayproFields.Parse(Body);
}

/// <summary>Stands in for Paypro: records every request and answers with whatever the test says.</summary>
public sealed class FakePayproHandler : HttpMessageHandler
{
    private readonly Func<RecordedRequest, CancellationToken, Task<HttpResponseMessage>> _respond;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    public FakePayproHandler(Func<RecordedRequest, CancellationToken, Task<HttpResponseMessage>> respond) => _respond = respond;

    public FakePayproHandler(HttpStatusCode status, string body)
        : this((_, _) => Task.FromResult(Json(status, body)))
    {
    }

    public FakePayproHandler(string body)
        : this(HttpStatusCode.OK, body)
    {
    }

    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    public int Count => _requests.Count;

    public RecordedRequest Single => Assert.Single(Requests);

    /// <summary>Never answers; only cancellation (a timeout) ends the request.</summary>
    public static FakePayproHandler Hanging() => new(async (_, token) =>
    {
        await Task.Delay(Timeout.Infinite, token);
        throw new InvalidOperationException("unreachable");
    });

    /// <summary>Answers with the given bodies in turn, then repeats the last one.</summary>
    public static FakePayproHandler Sequence(params (HttpStatusCode Status, string Body)[] answers)
    {
        var index = -1;
        return new((_, _) =>
        {
            var i = Math.Min(Interlocked.Increment(ref index), answers.Length - 1);
            return Task.FromResult(Json(answers[i].Status, answers[i].Body));
        });
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string body) => new(status)
    {
        Content = new StringContent(body, Encoding.UTF8, "application/json"),
    };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        var recorded = new RecordedRequest(
            request.Method,
            request.RequestUri!,
            headers,
            request.Content?.Headers.ContentType?.MediaType,
            body);
        _requests.Enqueue(recorded);
        return await _respond(recorded, cancellationToken);
    }
}

/// <summary>Hands out clients over one handler, without any resilience pipeline.</summary>
public sealed class SingleHandlerFactory(HttpMessageHandler handler) : IHttpClientFactory
{
    public List<string> Names { get; } = [];

    public HttpClient CreateClient(string name)
    {
        Names.Add(name);
        return new HttpClient(handler, disposeHandler: false);
    }
}
