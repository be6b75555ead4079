using Paypro.Functions.Transactions;


namespace Paypro.Functions.Tests.Transactions;

public class TransactionRequestTests
{
    private static bool Parse(string json, out TransactionRequest? request, out string? tradeNo, out string? error) =>
        TransactionRequest.TryParse(json, 50, 250_000, out request, out tradeNo, out error);

    [Fact]
    public void A_complete_message_is_parsed_and_normalised()
    {
        Assert.True(Parse("""
            {"tradeNo":"T-1","amount":1500,"mobile":"0712 345 678","remark":"June",
            "notifyUrl":"https://m.example/cb","metadata":{"correlationId":"c-9"}}
            """, out var request, out var tradeNo, out var error), error);
        Assert.Equal("T-1", tradeNo);
        Assert.Equal(1500, request!.Amount);
        Assert.Equal("254712345678", request.Mobile);
        Assert.Equal("June", request.Remark);
        Assert.Equal("https://m.example/cb", request.NotifyUrl!.AbsoluteUri);
        Assert.Equal("""{"correlationId":"c-9"}""", request.MetadataJson);
    }

    [Fact]
    public void Amount_may_be_a_string_of_digits()
    {
        Assert.True(Parse("""{"tradeNo":"T-1","amount":"75","mobile":"254112345678"}""", out var request, out _, out _));
        Assert.Equal(75, request!.Amount);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1,2]", "JSON object")]
    [InlineData("""{"amount":100,"mobile":"254712345678"}""", "tradeNo is required")]
    [InlineData("""{"tradeNo":12,"amount":100,"mobile":"254712345678"}""", "tradeNo is required")]
    [InlineData("""{"tradeNo":"a b","amount":100,"mobile":"254712345678"}""", "tradeNo may hold only")]
    public void A_message_without_a_usable_tradeNo_has_no_tradeNo(string json, string expected)
    {
        Assert.False(Parse(json, out _, out var tradeNo, out var error));
        Assert.Null(tradeNo);
        Assert.Contains(expected, error);
    }

    [Theory]
    [InlineData("""{"tradeNo":"T-2","mobile":"254712345678"}""", "amount is required")]
    [InlineData("""{"tradeNo":"T-2","amount":100.5,"mobile":"254712345678"}""", "whole number")]
    [InlineData("""{"tradeNo":"T-2","amount":1e3,"mobile":"254712345678"}""", "whole number")]
    [InlineData("""{"tradeNo":"T-2","amount":-5,"mobile":"254712345678"}""", "whole number")]
    [InlineData("""{"tradeNo":"T-2","amount":true,"mobile":"254712345678"}""", "number or a string")]
    [InlineData("""{"tradeNo":"T-2","amount":10,"mobile":"254712345678"}""", "below the minimum")]
    [InlineData("""{"tradeNo":"T-2","amount":250001,"mobile":"254712345678"}""", "above the maximum")]
    [InlineData("""{"tradeNo":"T-2","amount":100}""", "mobile is required")]
    [InlineData("""{"tradeNo":"T-2","amount":100,"mobile":"255712345678"}""", "country code 254")]
    [InlineData("""{"tradeNo":"T-2","amount":100,"mobile":"254212345678"}""", "M-Pesa number")]
    [InlineData("""{"tradeNo":"T-2","amount":100,"mobile":"254712345678","amout":5}""", "Unknown field 'amout'")]
    [InlineData("""{"tradeNo":"T-2","amount":100,"amount":100000,"mobile":"254712345678"}""", "more than once")]
    [InlineData("""{"tradeNo":"T-2","amount":100,"mobile":"254712345678","notifyUrl":"ftp://x"}""", "notifyUrl")]
    [InlineData("""{"tradeNo":"T-2","amount":100,"mobile":"254712345678","metadata":{"a":1}}""", "metadata.a must be a string")]
    [InlineData("""{"tradeNo":"T-2","amount":100,"mobile":"254712345678","metadata":"x"}""", "metadata must be a JSON object")]
    public void An_invalid_message_with_a_tradeNo_keeps_the_tradeNo_and_says_what_is_wrong(string json, string expected)
    {
        Assert.False(Parse(json, out var request, out var tradeNo, out var error));
        Assert.Null(request);
        Assert.Equal("T-2", tradeNo);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("712345678", error);
    }
}
