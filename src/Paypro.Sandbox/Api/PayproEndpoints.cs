using Microsoft.AspNetCore.Mvc;
using Paypro.Sandbox.Transactions;

namespace Paypro.Sandbox.Api;

/// <summary>Paypro Kenya's paths. Every one is a POST of JSON with the <c>merchantNo</c> header and a signed body.</summary>
internal static class PayproEndpoints
{
    public static IEndpointRouteBuilder MapPayproEndpoints(this IEndpointRouteBuilder app, string balancePath)
    {
        app.MapPost(PayproPaths.Payout, (HttpContext http, [FromServices] PayproPipeline pipeline, [FromServices] PayproEmulator paypro) =>
            pipeline.RunAsync(http, PayproPaths.Payout, paypro.CreatePayout));
        app.MapPost(PayproPaths.Payin, (HttpContext http, [FromServices] PayproPipeline pipeline, [FromServices] PayproEmulator paypro) =>
            pipeline.RunAsync(http, PayproPaths.Payin, paypro.CreatePayin));
        app.MapPost(
            PayproPaths.PayinConsole,
            (HttpContext http, [FromServices] PayproPipeline pipeline, [FromServices] PayproEmulator paypro) =>
                pipeline.RunAsync(
                    http,
                    PayproPaths.PayinConsole,
                    fields => paypro.CreateCheckout(fields, id => CheckoutEndpoints.PageUrl(http.Request, id))));
        app.MapPost(
            PayproPaths.QueryPayoutResult,
            (HttpContext http, [FromServices] PayproPipeline pipeline, [FromServices] PayproEmulator paypro) =>
                pipeline.RunAsync(http, PayproPaths.QueryPayoutResult, paypro.QueryPayout));
        app.MapPost(
            PayproPaths.QueryPayinResult,
            (HttpContext http, [FromServices] PayproPipeline pipeline, [FromServices] PayproEmulator paypro) =>
                pipeline.RunAsync(http, PayproPaths.QueryPayinResult, paypro.QueryPayin));
        app.MapPost(
            PayproPaths.QueryResultByCode,
            (HttpContext http, [FromServices] PayproPipeline pipeline, [FromServices] PayproEmulator paypro) =>
                pipeline.RunAsync(http, PayproPaths.QueryResultByCode, paypro.QueryByCode));
        app.MapPost(balancePath, (HttpContext http, [FromServices] PayproPipeline pipeline, [FromServices] PayproEmulator paypro) =>
            pipeline.RunAsync(http, balancePath, paypro.Balance));
        return app;
    }
}
