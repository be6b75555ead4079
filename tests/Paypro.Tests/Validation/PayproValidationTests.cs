namespace Paypro.Tests.Validation;

public sealed class PayproValidationTests
{
    [Theory]
    [InlineData("254712345678", "254712345678")]
    [InlineData("254112345678", "254112345678")]
    [InlineData("+254712345678", "254712345678")]
    [InlineData("0712345678", "254712345678")]
    [InlineData("0112345678", "254112345678")]
    [InlineData("712345678", "254712345678")]
    [InlineData(" 0712 345 678 ", "254712345678")]
    [InlineData("+254-712-345-678", "254712345678")]
    public void Kenyan_mobile_numbers_are_normalised(string input, string expected)
    {
        Assert.True(PayproValidation.TryNormalizeMobile(input, out var normalized, out var error));
        Assert.Equal(expected, normalized);
        Assert.Null(error);
        Assert.Equal(expected, PayproValidation.NormalizeMobile(input));
    }

    [Theory]
    [InlineData(null, "required")]
    [InlineData("", "required")]
    [InlineData("   ", "required")]
    [InlineData("07123456", "expected 254 followed by 9 digits")]
    [InlineData("07123456789", "expected 254 followed by 9 digits")]
    [InlineData("25471234567812345", "too long")]
    [InlineData("255712345678", "country code 254")]
    [InlineData("254212345678", "M-Pesa number")]
    [InlineData("0212345678", "M-Pesa number")]
    [InlineData("0712a45678", "only digits")]
    [InlineData("07123 45678+", "only digits")]
    [InlineData("++254712345678", "only digits")]
    public void Bad_mobile_numbers_are_refused_with_the_reason(string? input, string reason)
    {
        Assert.False(PayproValidation.TryNormalizeMobile(input, out var normalized, out var error));
        Assert.Equal("", normalized);
        Assert.Contains(reason, error);

        var ex = Assert.Throws<PayproValidationException>(() => PayproValidation.NormalizeMobile(input));
        Assert.Equal("mobile", ex.Field);
        Assert.Equal(error, ex.Reason);
        if (input is { Length: > 6 })
        {
            Assert.DoesNotContain(input.Trim(), ex.Message);
        }
    }

    [Theory]
    [InlineData("254712345678", "254******678")]
    [InlineData("123456", "******")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void Mobile_numbers_are_masked_for_logs(string? mobile, string masked) =>
        Assert.Equal(masked, PayproValidation.MaskMobile(mobile));

    [Theory]
    [InlineData(50, true)]
    [InlineData(250_000, true)]
    [InlineData(49, false)]
    [InlineData(250_001, false)]
    [InlineData(0, false)]
    [InlineData(-100, false)]
    public void Amounts_are_checked_against_the_bounds(long amount, bool valid)
    {
        Assert.Equal(valid, PayproValidation.TryValidateAmount(amount, 50, 250_000, out var error));
        Assert.Equal(valid, error is null);
        if (!valid)
        {
            Assert.Contains("KES", error);
            Assert.Equal("amount", Assert.Throws<PayproValidationException>(() => PayproValidation.ValidateAmount(amount)).Field);
        }
    }

    [Theory]
    [InlineData("50", 50)]
    [InlineData("250000", 250000)]
    [InlineData("050", 50)]
    public void Whole_shilling_amounts_parse(string text, long expected)
    {
        Assert.True(PayproValidation.TryParseAmount(text, out var amount, out _));
        Assert.Equal(expected, amount);
    }

    [Theory]
    [InlineData(null, "required")]
    [InlineData("", "required")]
    [InlineData("50.5", "whole number")]
    [InlineData("50.00", "whole number")]
    [InlineData("-5", "whole number")]
    [InlineData("5e2", "whole number")]
    [InlineData(" 50", "whole number")]
    [InlineData("99999999999999999999", "too large")]
    public void Other_amount_texts_are_refused(string? text, string reason)
    {
        Assert.False(PayproValidation.TryParseAmount(text, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Theory]
    [InlineData("1000023")]
    [InlineData("P-77")]
    [InlineData("a_b-C9")]
    [InlineData("20241123093000123")]
    public void Trade_numbers_of_the_documented_shape_are_accepted(string tradeNo)
    {
        Assert.True(PayproValidation.TryValidateTradeNo(tradeNo, out var error));
        Assert.Null(error);
        PayproValidation.ValidateTradeNo(tradeNo);
    }

    [Theory]
    [InlineData(null, "required")]
    [InlineData("", "required")]
    [InlineData("-lead", "must start with a letter or digit")]
    [InlineData("_lead", "must start with a letter or digit")]
    [InlineData("has space", "only letters")]
    [InlineData("dot.ted", "only letters")]
    [InlineData("ü1", "only letters")]
    [InlineData("x\n", "only letters")]
    public void Other_trade_numbers_are_refused(string? tradeNo, string reason)
    {
        Assert.False(PayproValidation.TryValidateTradeNo(tradeNo, out var error));
        Assert.Contains(reason, error);
        Assert.Equal("tradeNo", Assert.Throws<PayproValidationException>(() => PayproValidation.ValidateTradeNo(tradeNo)).Field);
    }

    [Fact]
    public void A_trade_number_longer_than_64_characters_is_refused()
    {
        Assert.True(PayproValidation.TryValidateTradeNo(new string('a', 64), out _));
        Assert.False(PayproValidation.TryValidateTradeNo(new string('a', 65), out var error));
        Assert.Contains("at most 64", error);
    }

    [Theory]
    [InlineData("SHL2A6WAQU", true)]
    [InlineData("SHL2A6WAQU\n", false)]
    [InlineData("shl2a6waqu", false)]
    [InlineData("SHL2A6WAQ", false)]
    [InlineData("SHL2A6WAQUX", false)]
    [InlineData("SHL2A6-AQU", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Mpesa_codes_are_ten_upper_case_letters_or_digits(string? code, bool valid)
    {
        Assert.Equal(valid, PayproValidation.TryValidateMpesaCode(code, out var error));
        Assert.Equal(valid, error is null);
    }
}
