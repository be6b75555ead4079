using Paypro.Tests.Parsing;

namespace Paypro.Tests.Notify;

public sealed class PayproNotificationTests
{
    private const string Valid = """
        {"platFormTradeNo":"5286e98841194687a95d25b5f3be346d","tradeNo":"00000020","amount":3.0000,"status":"00029",
        "message":"REJECTED_TRANSACTION","successTime":"2024-07-01 18:34:31","timestamp":"1719830071094"}
        """;

    private static PayproNotification Read(string json) => PayproNotification.FromFields(PayproFields.Parse(json));

    /// <summary>The valid body with one field replaced (raw JSON token) or removed (null).</summary>
    private static string With(string field, string? token)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(Valid)!.AsObject();
        node.Remove(field);
        var body = node.ToJsonString();
        return token is null ? body : body.TrimEnd('}') + $",\"{field}\":{token}}}";
    }

    [Fact]
    public void The_documented_notify_is_read_field_by_field()
    {
        var notification = Read(PayproExamples.Notify);

        Assert.Equal("00000020", notification.TradeNo);
        Assert.Equal("5286e98841194687a95d25b5f3be346d", notification.PlatFormTradeNo);
        Assert.Equal(3.0000m, notification.Amount);
        Assert.Equal("3.0000", notification.AmountText);
        Assert.Equal("00029", notification.Status);
        Assert.Equal(PayproStatusKind.Failed, notification.Kind);
        Assert.Equal("REJECTED_TRANSACTION", notification.Message);
        Assert.Equal(new DateTimeOffset(2024, 7, 1, 15, 34, 31, TimeSpan.Zero), notification.SuccessTimeUtc);
        Assert.Equal("1719830071094", notification.Timestamp);
        Assert.Empty(notification.UnknownFields);
    }

    [Fact]
    public void The_minimal_notify_needs_only_trade_no_amount_and_status()
    {
        var notification = Read("""{"tradeNo":"T-1","amount":"50","status":"0000"}""");

        Assert.Equal(50m, notification.Amount);
        Assert.Equal(PayproStatusKind.Succeeded, notification.Kind);
        Assert.Null(notification.PlatFormTradeNo);
        Assert.Null(notification.Message);
        Assert.Null(notification.SuccessTimeUtc);
        Assert.Null(notification.Timestamp);
    }

    [Fact]
    public void Null_optional_fields_count_as_absent()
    {
        var notification = Read(
            """{"tradeNo":"T-1","amount":"50","status":"0015","message":""" +
            """null,"successTime":null,"platFormTradeNo":null,"timestamp":null}""");

        Assert.Equal(PayproStatusKind.Processing, notification.Kind);
        Assert.Null(notification.Message);
        Assert.Null(notification.SuccessTimeUtc);
        Assert.Null(notification.PlatFormTradeNo);
        Assert.Null(notification.Timestamp);
    }

    [Fact]
    public void A_numeric_timestamp_is_kept_as_its_text()
    {
        Assert.Equal("1719830071094", Read(With("timestamp", "1719830071094")).Timestamp);
    }

    [Fact]
    public void Unknown_fields_are_listed_and_not_interpreted()
    {
        var notification = Read(With("status", "\"0000\"").TrimEnd('}') + ""","extra":"x","sign":"00","mobile":"254712345678"}""");

        Assert.Equal(["extra", "mobile"], notification.UnknownFields);
        Assert.Equal("0000", notification.Status);
    }

    [Theory]
    [InlineData("tradeNo", null, "is required")]
    [InlineData("tradeNo", "\"\"", "is required")]
    [InlineData("tradeNo", "null", "is required")]
    [InlineData("tradeNo", "20", "must be a JSON string")]
    [InlineData("tradeNo", "\"bad trade\"", "may hold only letters")]
    [InlineData("tradeNo", "\"-lead\"", "may hold only letters")]
    [InlineData("status", null, "is required")]
    [InlineData("status", "0", "must be a JSON string")]
    [InlineData("status", "\"\"", "is required")]
    [InlineData("status", "\"00x0\"", "1 to 8 digits")]
    [InlineData("status", "\"000000000\"", "1 to 8 digits")]
    [InlineData("status", "\"0000 \"", "1 to 8 digits")]
    [InlineData("status", "\"0000\\n\"", "1 to 8 digits")]
    [InlineData("tradeNo", "\"T1\\n\"", "may hold only letters")]
    [InlineData("amount", "\"3.00\\n\"", "plain decimal")]
    [InlineData("platFormTradeNo", "\"P1\\n\"", "letters, digits")]
    [InlineData("amount", null, "is required")]
    [InlineData("amount", "null", "is required")]
    [InlineData("amount", "true", "is required")]
    [InlineData("amount", "\"\"", "is required")]
    [InlineData("amount", "-3", "plain decimal")]
    [InlineData("amount", "3e2", "plain decimal")]
    [InlineData("amount", "\"3,00\"", "plain decimal")]
    [InlineData("amount", "\" 3\"", "plain decimal")]
    [InlineData("amount", "\"3.\"", "plain decimal")]
    [InlineData("amount", "\"NaN\"", "plain decimal")]
    [InlineData("amount", "1234567890123456789", "plain decimal")]
    [InlineData("successTime", "\"2024-07-01T18:34:31\"", "yyyy-MM-dd HH:mm:ss")]
    [InlineData("successTime", "\"yesterday\"", "yyyy-MM-dd HH:mm:ss")]
    [InlineData("successTime", "1719830071", "must be a JSON string")]
    [InlineData("platFormTradeNo", "\"has space\"", "letters, digits")]
    [InlineData("platFormTradeNo", "\"status=0000\"", "letters, digits")]
    [InlineData("message", "5", "must be a JSON string")]
    [InlineData("timestamp", "true", "number or a string")]
    public void A_field_with_the_wrong_shape_is_refused_by_name(string field, string? token, string reason)
    {
        var ex = Assert.Throws<PayproFormatException>(() => Read(With(field, token)));

        Assert.Contains($"'{field}'", ex.Message);
        Assert.Contains(reason, ex.Message);
    }

    [Fact]
    public void A_body_split_differently_under_the_same_signed_string_is_refused()
    {
        // Paypro joins key=value with no separator: "amount=3" + "message=X..." equals "amount=3message=X...".
        // Moving text between fields keeps the signed string but breaks a field's shape.
        const string forged = """{"tradeNo":"00000020","amount":"3.0000message=REJECTED_TRANSACTION","status":"0000"}""";

        var ex = Assert.Throws<PayproFormatException>(() => Read(forged));
        Assert.Contains("'amount'", ex.Message);
    }
}
