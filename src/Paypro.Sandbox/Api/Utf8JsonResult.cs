namespace Paypro.Sandbox.Api;

/// <summary>A JSON body written beforehand with <see cref="System.Text.Json.Utf8JsonWriter"/>.</summary>
internal sealed class Utf8JsonResult(byte[] body, int statusCode = StatusCodes.Status200OK) : IResult, IStatusCodeHttpResult
{
    public int StatusCode { get; } = statusCode;

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    public byte[] Body { get; } = body;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCode;
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        httpContext.Response.ContentLength = Body.Length;
        return httpContext.Response.Body.WriteAsync(Body).AsTask();
    }
}
