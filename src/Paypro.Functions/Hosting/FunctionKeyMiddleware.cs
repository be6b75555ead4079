using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Paypro.Functions.Hosting;

/// <summary>
/// Self-hosted mode stands in for the host's <c>authLevel: function</c> check: every request under
/// <c>/api</c> must carry the function key as <c>?code=</c> or <c>x-functions-key</c>, else 401 before any
/// endpoint runs. Under the host this is not installed, because the host checks keys before forwarding.
/// </summary>
internal sealed class FunctionKeyMiddleware(RequestDelegate next, string functionKey)
{
    public const string ApiPrefix = "/api";
    public const string KeyQueryParameter = "code";
    public const string KeyHeader = "x-functions-key";

    private readonly byte[] _keyHash = SHA256.HashData(Encoding.UTF8.GetBytes(functionKey));

    public Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments(ApiPrefix, StringComparison.OrdinalIgnoreCase) || HasKey(context.Request))
        {
            return next(context);
        }
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return Task.CompletedTask;
    }

    private bool HasKey(HttpRequest request) =>
        Matches(request.Headers[KeyHeader].ToString()) || Matches(request.Query[KeyQueryParameter].ToString());

    private bool Matches(string presented)
    {
        if (presented.Length == 0)
        {
            return false;
        }
        // Hashing first makes the comparison constant-time in the key's length as well as its content.
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), hash);
        return CryptographicOperations.FixedTimeEquals(hash, _keyHash);
    }

    /// <summary>Whether an endpoint is an HTTP function: a route under <c>/api</c>.</summary>
    public static bool IsApiEndpoint(Endpoint endpoint) =>
        endpoint is RouteEndpoint { RoutePattern: var pattern } && IsApiRoute(pattern);

    private static bool IsApiRoute(RoutePattern pattern) =>
        pattern.PathSegments.Count > 0
        && pattern.PathSegments[0].Parts is [RoutePatternLiteralPart { Content: var first }]
        && string.Equals(first, ApiPrefix[1..], StringComparison.OrdinalIgnoreCase);
}
