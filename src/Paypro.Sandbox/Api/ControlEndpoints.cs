using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Mvc;
using Paypro.Sandbox.Callbacks;
using Paypro.Sandbox.Transactions;

namespace Paypro.Sandbox.Api;

/// <summary>
/// <c>/_sandbox/...</c>: what a test needs to drive and inspect the sandbox. They answer 404 unless
/// <see cref="SandboxOptions.ControlEnabled"/> is on, so a shared sandbox cannot be steered by accident.
/// </summary>
internal static class ControlEndpoints
{
    public const string Prefix = "/_sandbox";

    public static IEndpointRouteBuilder MapControlEndpoints(this IEndpointRouteBuilder app)
    {
        var control = app.MapGroup(Prefix);
        control.AddEndpointFilter(async (context, next) =>
            context.HttpContext.RequestServices.GetRequiredService<SandboxOptions>().ControlEnabled
                ? await next(context).ConfigureAwait(false)
                : TypedResults.NotFound());

        control.MapGet("/ledger", ([FromServices] SandboxLedger ledger) => ControlJson.Ledger(ledger));
        control.MapPost("/reset", ([FromServices] PayproEmulator paypro) =>
        {
            paypro.Reset();
            return TypedResults.NoContent();
        });

        control.MapGet("/faults", ([FromServices] SandboxFaults faults) => ControlJson.Faults(faults.Active));
        control.MapPost("/faults", async (HttpContext http, [FromServices] SandboxFaults faults) =>
        {
            var (body, error) = await ControlJson.ReadAsync(http, ControlJson.Context.FaultBody).ConfigureAwait(false);
            if (body is null)
            {
                return ControlJson.Error(error!);
            }
            if (body.Fault.Validate("fault") is { } invalid)
            {
                return ControlJson.Error(invalid);
            }
            var id = faults.Add(body.Fault);
            return ControlJson.Faults(faults.Active.Where(f => f.Id == id), StatusCodes.Status201Created);
        });
        control.MapDelete("/faults", ([FromServices] SandboxFaults faults) =>
        {
            faults.Clear();
            return TypedResults.NoContent();
        });
        control.MapDelete("/faults/{id:int}", (int id, [FromServices] SandboxFaults faults) =>
            faults.Remove(id) ? TypedResults.NoContent() : ControlJson.Error($"No fault with id {id}.", StatusCodes.Status404NotFound));

        control.MapGet("/callbacks", ([FromServices] CallbackDispatcher callbacks) =>
            ControlJson.Callbacks(callbacks.Notifications, callbacks.Attempts));

        control.MapPost("/{space}/{tradeNo}/state", (
            string space,
            string tradeNo,
            HttpContext http,
            [FromServices] PayproEmulator paypro) =>
            ChangeAsync(space, http, ControlJson.Context.StateBody, (kind, body) =>
            {
                if (!TestInputs.IsFinalStatus(body.Status))
                {
                    return ControlJson.Error(TestInputs.FinalStatusRule);
                }
                return paypro.SetStatus(
                        kind,
                        tradeNo,
                        body.Status!,
                        string.IsNullOrEmpty(body.Message) ? null : body.Message,
                        body.Notify) is { } entry
                    ? ControlJson.Entry(entry)
                    : TransactionNotFound(space, tradeNo);
            }));
        control.MapPost("/{space}/{tradeNo}/amount", (
            string space,
            string tradeNo,
            HttpContext http,
            [FromServices] PayproEmulator paypro) =>
            ChangeAsync(space, http, ControlJson.Context.AmountBody, (kind, body) =>
            {
                if (body.Amount is not ({ } amount and >= 1))
                {
                    return ControlJson.Error("amount must be whole shillings, at least 1.");
                }
                return paypro.SetAmount(kind, tradeNo, amount, body.Notify) is { } entry
                    ? ControlJson.Entry(entry)
                    : TransactionNotFound(space, tradeNo);
            }));
        control.MapPost("/{space}/{tradeNo}/forget", (string space, string tradeNo, [FromServices] PayproEmulator paypro) =>
        {
            if (KindOf(space) is not { } kind)
            {
                return SpaceNotFound();
            }
            return paypro.Forget(kind, tradeNo) is { } entry ? ControlJson.Entry(entry) : TransactionNotFound(space, tradeNo);
        });
        control.MapPost("/{space}/{tradeNo}/redeliver", (string space, string tradeNo, [FromServices] PayproEmulator paypro) =>
        {
            if (KindOf(space) is not { } kind)
            {
                return SpaceNotFound();
            }
            return paypro.Redeliver(kind, tradeNo) is { } notification
                ? ControlJson.Notification(notification, StatusCodes.Status202Accepted)
                : TransactionNotFound(space, tradeNo);
        });

        control.MapGet("/settings", ([FromServices] SandboxOptions options) => ControlJson.Settings(options));
        control.MapPut("/settings", async (HttpContext http, [FromServices] SandboxOptions options) =>
        {
            var (body, error) = await ControlJson.ReadAsync(http, ControlJson.Context.SettingsBody).ConfigureAwait(false);
            if (body is null)
            {
                return ControlJson.Error(error!);
            }
            // Checked on a copy, so a bad value changes nothing.
            var changed = options.Clone();
            body.ApplyTo(changed);
            if (SandboxOptionsValidator.Check(changed) is { Count: > 0 } failures)
            {
                return ControlJson.Error(string.Join(" ", failures));
            }
            options.CopyRuntimeSettingsFrom(changed);
            return ControlJson.Settings(options);
        });
        return app;
    }

    /// <summary>
    /// A change to one transaction: the space in its path (404 when it names none), then its JSON body (400 when
    /// unreadable), then <paramref name="change"/>. The handlers stay non-generic and call this, as the request
    /// delegate generator cannot compile a handler declared inside a generic method.
    /// </summary>
    private static async Task<IResult> ChangeAsync<T>(
        string space,
        HttpContext http,
        JsonTypeInfo<T> typeInfo,
        Func<SandboxTransactionKind, T, IResult> change)
        where T : class, IControlBody
    {
        if (KindOf(space) is not { } kind)
        {
            return SpaceNotFound();
        }
        var (body, error) = await ControlJson.ReadAsync(http, typeInfo).ConfigureAwait(false);
        return body is null ? ControlJson.Error(error!) : change(kind, body);
    }

    private static SandboxTransactionKind? KindOf(string space) => space switch
    {
        "payouts" => SandboxTransactionKind.Payout,
        "payins" => SandboxTransactionKind.Payin,
        _ => null,
    };

    private static IResult SpaceNotFound() =>
        ControlJson.Error(
            "Use /_sandbox/payouts/{tradeNo}/... or /_sandbox/payins/{tradeNo}/... (checkout payins are payins).",
            StatusCodes.Status404NotFound);

    private static IResult TransactionNotFound(string space, string tradeNo) =>
        ControlJson.Error($"No {space[..^1]} with tradeNo {tradeNo}.", StatusCodes.Status404NotFound);
}
