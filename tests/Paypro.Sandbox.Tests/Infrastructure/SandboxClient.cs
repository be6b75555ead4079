using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Paypro.Sandbox.Tests.Infrastructure;

/// <summary>
/// A minimal signed caller for the sandbox's Paypro paths. The project's PayproClient is written
/// elsewhere; these tests speak the wire format directly so they pin it.
/// </summary>
internal sealed class SandboxClient : IDisposable
{
    private readonly SandboxHost _host;

    public SandboxClient(SandboxHost host, TimeSpan? timeout = null)
    {
        _host = host;
        Http = new HttpClient { BaseAddress = host.BaseUrl, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
    }

    public HttpClient Http { get; }

    public static string Timestamp() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    public Task<PayproReply> PayoutAsync(string tradeNo, string mobile, string amount = "50", string? notifyUrl = null) =>
        PostAsync(
            PayproPaths.Payout,
            Fields(
                ("amount", amount),
                ("mobile", mobile),
                ("notifyUrl", notifyUrl),
                ("remark", "test"),
                ("timestamp", Timestamp()),
                ("tradeNo", tradeNo)));

    public Task<PayproReply> PayinAsync(string tradeNo, string mobile, string notifyUrl, string amount = "50") =>
        PostAsync(
            PayproPaths.Payin,
            Fields(("amount", amount), ("mobile", mobile), ("notifyUrl", notifyUrl), ("timestamp", Timestamp()), ("tradeNo", tradeNo)));

    public Task<PayproReply> CheckoutAsync(string tradeNo, string notifyUrl, string amount = "75") =>
        PostAsync(
            PayproPaths.PayinConsole,
            Fields(("amount", amount), ("notifyUrl", notifyUrl), ("timestamp", Timestamp()), ("tradeNo", tradeNo)));

    public Task<PayproReply> QueryPayoutAsync(string tradeNo) => PostAsync(PayproPaths.QueryPayoutResult, Fields(("tradeNo", tradeNo)));

    public Task<PayproReply> QueryPayinAsync(string tradeNo) => PostAsync(PayproPaths.QueryPayinResult, Fields(("tradeNo", tradeNo)));

    public Task<PayproReply> QueryByCodeAsync(string code) =>
        PostAsync(PayproPaths.QueryResultByCode, Fields(("code", code), ("timestamp", Timestamp())));

    public Task<PayproReply> BalanceAsync(string? path = null) =>
        PostAsync(path ?? _host.Options.BalancePath, Fields(("timestamp", Timestamp())));

    /// <summary>Signs <paramref name="fields"/> (unless <paramref name="sign"/> says otherwise) and posts them.</summary>
    public Task<PayproReply> PostAsync(
        string path,
        IReadOnlyList<KeyValuePair<string, string?>> fields,
        string? sign = null,
        string? merchantNo = "",
        string? secret = null,
        SaltPosition? salt = null)
    {
        var signature = sign ?? PayproSignature.Compute(fields, secret ?? _host.Options.AppSecret, salt ?? _host.Options.SaltPosition);
        return PostRawAsync(path, Json(fields, signature), merchantNo == "" ? _host.Options.MerchantNo : merchantNo);
    }

    public async Task<PayproReply> PostRawAsync(string path, string body, string? merchantNo = "")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/'))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        merchantNo = merchantNo == "" ? _host.Options.MerchantNo : merchantNo;
        if (merchantNo is not null)
        {
            request.Headers.Add("merchantNo", merchantNo);
        }
        using var response = await Http.SendAsync(request);
        return new PayproReply(response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static IReadOnlyList<KeyValuePair<string, string?>> Fields(params (string Name, string? Value)[] fields) =>
        fields.Where(f => f.Value is not null).Select(f => new KeyValuePair<string, string?>(f.Name, f.Value)).ToArray();

    public static string Json(IEnumerable<KeyValuePair<string, string?>> fields, string? sign)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in fields)
            {
                writer.WriteString(name, value);
            }
            if (sign is not null)
            {
                writer.WriteString("sign", sign);
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public void Dispose() => Http.Dispose();
}

/// <summary>An answer from a Paypro path.</summary>
internal sealed class PayproReply
{
    public PayproReply(HttpStatusCode status, string body)
    {
        Status = status;
        Body = body;
        if (status == HttpStatusCode.OK)
        {
            Root = JsonDocument.Parse(body).RootElement.Clone();
        }
    }

    public HttpStatusCode Status { get; }

    public string Body { get; }

    public JsonElement Root { get; }

    public string? Code => Root.GetProperty("code").GetString();

    public string? Msg => Root.GetProperty("msg").GetString();

    public JsonElement Data => Root.GetProperty("data");

    public string? DataString(string name) => Data.GetProperty(name).GetString();

    public override string ToString() => $"HTTP {(int)Status}: {Body}";
}
