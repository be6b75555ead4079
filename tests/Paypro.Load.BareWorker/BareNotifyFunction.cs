using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Paypro.Load;

/// <summary>The bare worker's one function: the bare notify, behind the host as the app's notify is (function key).</summary>
public sealed class BareNotifyFunction(BareNotify bare)
{
    [Function("BareNotify")]
    public async Task<IResult> Run([HttpTrigger(AuthorizationLevel.Function, "post", Route = BareNotify.Route)] HttpRequest request)
    {
        var body = await BareNotify.ReadBodyAsync(request.Body, request.HttpContext.RequestAborted);
        var caller = request.HttpContext.Connection.RemoteIpAddress?.ToString();
        var status = await bare.HandleAsync(body, caller, request.HttpContext.RequestAborted);
        return status == StatusCodes.Status200OK ? Results.Text("OK") : Results.StatusCode(status);
    }
}
