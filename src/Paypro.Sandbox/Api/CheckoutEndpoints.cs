using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Paypro.Sandbox.Transactions;

namespace Paypro.Sandbox.Api;

/// <summary>
/// The hosted checkout page a <c>/api/payinConsole</c> answer points to. The payment succeeds on
/// its own after <see cref="SandboxOptions.SuccessDelay"/>; Pay and Cancel settle it at once.
/// </summary>
internal static class CheckoutEndpoints
{
    private const string Route = "/checkout";

    public static string PageUrl(HttpRequest request, string platFormTradeNo) =>
        $"{request.Scheme}://{request.Host}{request.PathBase}{Route}/{platFormTradeNo}";

    public static IEndpointRouteBuilder MapCheckoutEndpoints(this IEndpointRouteBuilder app)
    {
        var checkout = app.MapGroup(Route);
        checkout.MapGet("/{id}", (string id, [FromServices] SandboxLedger ledger) => Page(ledger, id, note: null));
        checkout.MapPost("/{id}/pay", (string id, [FromServices] SandboxLedger ledger, [FromServices] PayproEmulator paypro) =>
            Page(ledger, id, paypro.CompleteCheckout(id, paid: true) ? "Paid." : "Nothing to pay: the payment is already final."));
        checkout.MapPost("/{id}/cancel", (string id, [FromServices] SandboxLedger ledger, [FromServices] PayproEmulator paypro) =>
            Page(ledger, id, paypro.CompleteCheckout(id, paid: false) ? "Cancelled." : "Nothing to cancel: the payment is already final."));
        return app;
    }

    private static Results<ContentHttpResult, NotFound<string>> Page(SandboxLedger ledger, string id, string? note)
    {
        if (ledger.FindByPlatFormTradeNo(id) is not { Kind: SandboxTransactionKind.Checkout } entry)
        {
            return TypedResults.NotFound("No checkout with this id.");
        }
        var html = HtmlEncoder.Default;
        var page = new StringBuilder()
            .Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Paypro sandbox checkout</title>")
            .Append("<style>body{font-family:sans-serif;max-width:28rem;margin:3rem auto}dt{font-weight:bold}</style></head><body>\n")
            .Append("<h1>Paypro sandbox checkout</h1>\n<p>A test page: no money moves.</p>\n<dl>")
            .Append("<dt>Amount</dt><dd>KES ").Append(entry.Amount.ToString("N0", CultureInfo.InvariantCulture)).Append("</dd>")
            .Append("<dt>Order</dt><dd>").Append(html.Encode(entry.TradeNo)).Append("</dd>")
            .Append("<dt>Status</dt><dd id=\"status\">").Append(html.Encode(entry.Status))
            .Append(' ').Append(html.Encode(entry.Message)).Append("</dd></dl>\n");
        if (note is not null)
        {
            page.Append("<p id=\"note\">").Append(html.Encode(note)).Append("</p>\n");
        }
        if (entry.Status == PayproStatus.Processing)
        {
            var action = $"{Route}/{html.Encode(id)}";
            page.Append("<form method=\"post\" action=\"").Append(action).Append("/pay\"><button type=\"submit\">Pay</button></form>\n")
                .Append("<form method=\"post\" action=\"").Append(action)
                .Append("/cancel\"><button type=\"submit\">Cancel</button></form>\n");
        }
        page.Append("</body></html>\n");
        return TypedResults.Content(page.ToString(), "text/html; charset=utf-8");
    }
}
