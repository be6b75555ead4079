using System.Text;
using System.Text.Json;

namespace Paypro.Tests.Parsing;

public sealed class PayproFieldsTests
{
    [Fact]
    public void The_seed_request_examples_parse_as_flat_bodies()
    {
        var payoutQuery = PayproFields.Parse(PayproExamples.PayoutQueryRequest);
        Assert.Equal("1000002", payoutQuery["tradeNo"]);
        Assert.Equal("00000000000", payoutQuery.Sign);
        Assert.Equal("tradeNo=1000002", PayproSignature.Canonicalize(payoutQuery.AsPairs()));

        var mpesaQuery = PayproFields.Parse(PayproExamples.MpesaQueryRequest);
        Assert.Equal(["code", "timestamp", "sign"], mpesaQuery.Select(f => f.Name));
        Assert.Equal("code=SHL2A6WAQUtimestamp=2222222222", PayproSignature.Canonicalize(mpesaQuery.AsPairs()));
    }

    [Fact]
    public void A_notify_keeps_the_raw_number_text_and_its_kind()
    {
        var fields = PayproFields.Parse(PayproExamples.Notify);

        Assert.Equal("3.0000", fields["amount"]);
        Assert.Equal(JsonValueKind.Number, fields.KindOf("amount"));
        Assert.Equal(JsonValueKind.String, fields.KindOf("status"));
        Assert.Equal(JsonValueKind.Undefined, fields.KindOf("absent"));
        Assert.Null(fields["absent"]);
        Assert.Equal(8, fields.Count);
    }

    [Fact]
    public void Null_true_false_and_escapes_have_their_documented_values()
    {
        var fields = PayproFields.Parse("""{"a":null,"b":true,"c":false,"d":"caf\u00e9 \"q\"","e":-1.50e3}""");

        Assert.Equal("", fields["a"]);
        Assert.Equal(JsonValueKind.Null, fields.KindOf("a"));
        Assert.Equal("true", fields["b"]);
        Assert.Equal("false", fields["c"]);
        Assert.Equal("café \"q\"", fields["d"]);
        Assert.Equal("-1.50e3", fields["e"]);
    }

    [Theory]
    [InlineData("", "not valid JSON")]
    [InlineData("   ", "not valid JSON")]
    [InlineData("[]", "must be a JSON object")]
    [InlineData("\"text\"", "must be a JSON object")]
    [InlineData("{\"a\":\"1\"", "not valid JSON")]
    [InlineData("{\"a\":}", "not valid JSON")]
    [InlineData("{\"a\":\"1\",}", "not valid JSON")]
    [InlineData("{\"a\":\"1\"} {}", "not valid JSON")]
    [InlineData("{\"a\":\"1\",\"a\":\"2\"}", "'a' appears more than once")]
    [InlineData("{\"a\":\"1\",\"\\u0061\":\"2\"}", "'a' appears more than once")]
    [InlineData("{\"a\":{\"b\":\"1\"}}", "nested objects and arrays")]
    [InlineData("{\"a\":[1]}", "nested objects and arrays")]
    [InlineData("{\"a\":\"1\" /* c */}", "not valid JSON")]
    [InlineData("{'a':'1'}", "not valid JSON")]
    [InlineData("{\"a\":\"\\ud800\"}", "not valid JSON")]
    public void A_malformed_body_is_refused_with_a_clear_message(string body, string expected)
    {
        var ex = Assert.Throws<PayproFormatException>(() => PayproFields.Parse(body));

        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Invalid_utf8_is_refused()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"a\":\"x\"}");
        bytes[6] = 0xFF;

        Assert.Throws<PayproFormatException>(() => PayproFields.Parse(bytes));
    }

    [Fact]
    public void An_overlong_repeated_key_is_shortened_in_the_message()
    {
        var key = new string('k', 200);
        var ex = Assert.Throws<PayproFormatException>(() => PayproFields.Parse($"{{\"{key}\":\"1\",\"{key}\":\"2\"}}"));

        Assert.DoesNotContain(key, ex.Message);
    }
}
