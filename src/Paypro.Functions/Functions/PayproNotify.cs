using Microsoft.Azure.Functions.Worker;
using Paypro.Functions.Http;

namespace Paypro.Functions.Functions;

/// <summary>Paypro's result callbacks for payins and payouts: the notify URL given to Paypro.</summary>
public sealed class PayproNotify(NotifyHandler notify)
{
    public const string Route = "paypro/notify";

    [Function(nameof(PayproNotify))]
    public Task<IResult> Run([HttpTrigger(AuthorizationLevel.Function, "post", Route = Route)] HttpRequest request) =>
        notify.HandleAsync(request.HttpContext);
}
