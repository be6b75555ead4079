using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Paypro.Sandbox.Api;

/// <summary>
/// Writes JSON the way Paypro Kenya's examples show it, by hand so nothing needs reflection: the
/// envelope's <c>timestamp</c> is a number and <c>success</c> a boolean although the tables say
/// string, and amounts are numbers with four decimals (<c>3.0000</c>) although requests send strings.
/// </summary>
internal static class PayproJson
{
    // Paypro's examples show plain text (no \u escapes for '+', '&' or non-ASCII); the body is UTF-8.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>An amount as Paypro writes it in responses and callbacks: <c>50.0000</c>.</summary>
    public static string Amount(long amount) => amount.ToString(CultureInfo.InvariantCulture) + ".0000";

    public static string EpochMilliseconds(DateTimeOffset time) =>
        time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    public static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Paypro's envelope: <c>{"msg","code","timestamp","success","data"}</c>.</summary>
    public static byte[] Envelope(PayproAnswer answer, DateTimeOffset now) => Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("msg", answer.Message);
        writer.WriteString("code", answer.Code);
        writer.WriteNumber("timestamp", now.ToUnixTimeMilliseconds());
        writer.WriteBoolean("success", answer.Code == PayproStatus.RequestAccepted);
        writer.WritePropertyName("data");
        if (answer.Data is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStartObject();
            answer.Data(writer);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    });

    /// <summary>The transaction fields of a status query answer (and of a callback, minus timestamp and sign).</summary>
    public static void WriteResult(Utf8JsonWriter writer, SandboxLedgerEntry entry)
    {
        writer.WriteString("platFormTradeNo", entry.PlatFormTradeNo);
        writer.WriteString("tradeNo", entry.TradeNo);
        writer.WritePropertyName("amount");
        writer.WriteRawValue(Amount(entry.Amount));
        writer.WriteString("status", entry.Status);
        writer.WriteString("message", entry.Message);
        if (entry.CompletedAt is { } completed)
        {
            writer.WriteString("successTime", Paypro.KenyaTime.Format(completed));
        }
        else
        {
            writer.WriteNull("successTime");
        }
    }
}

/// <summary>
/// What a Paypro endpoint answers: the request-level code and message, the <c>data</c> object, and
/// whether a transaction was executed.
/// </summary>
internal readonly record struct PayproAnswer(string Code, string Message, Action<Utf8JsonWriter>? Data = null, bool Executed = false)
{
    public const string UnknownMerchant = "1001";
    public const string InvalidSign = "1002";
    public const string InvalidParameter = "1003";

    public static PayproAnswer Accepted(Action<Utf8JsonWriter> data, bool executed = false) =>
        new(PayproStatus.RequestAccepted, "success", data, executed);

    public static PayproAnswer Error(string code, string message) => new(code, message);

    public static PayproAnswer Parameter(string problem) => new(InvalidParameter, "parameter error: " + problem);
}
