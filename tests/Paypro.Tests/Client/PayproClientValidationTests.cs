using Paypro.Tests.Infrastructure;

namespace Paypro.Tests.Client;

/// <summary>Bad input is refused before anything is sent, with a message naming the field.</summary>
public sealed class PayproClientValidationTests
{
    private static readonly Uri NotifyUrl = new("https://merchant.example/notify");

    private readonly FakePayproHandler _handler = TestPaypro.Answer(TestPaypro.AcceptedCreate);

    private async Task<PayproValidationException> RefusedAsync(Func<PayproClient, Task> call, Action<PayproClientOptions>? configure = null)
    {
        var ex = await Assert.ThrowsAsync<PayproValidationException>(() => call(TestPaypro.Client(_handler, configure)));
        Assert.Equal(0, _handler.Count);
        return ex;
    }

    [Theory]
    [InlineData("", "tradeNo", "required")]
    [InlineData("bad trade", "tradeNo", "only letters")]
    public async Task A_bad_trade_no_is_refused(string tradeNo, string field, string reason)
    {
        var ex = await RefusedAsync(c => c.CreatePayoutAsync(
            new PayoutCreateOptions { TradeNo = tradeNo, Amount = 50, Mobile = "0712345678" }));

        Assert.Equal(field, ex.Field);
        Assert.Contains(reason, ex.Reason);
    }

    [Theory]
    [InlineData(49, "below the minimum of KES 50")]
    [InlineData(250_001, "above the maximum of KES 250000")]
    [InlineData(0, "below the minimum")]
    [InlineData(-50, "below the minimum")]
    public async Task An_amount_outside_the_default_bounds_is_refused(long amount, string reason)
    {
        var ex = await RefusedAsync(c => c.CreatePayoutAsync(
            new PayoutCreateOptions { TradeNo = "T1", Amount = amount, Mobile = "0712345678" }));

        Assert.Equal("amount", ex.Field);
        Assert.Contains(reason, ex.Reason);
    }

    [Fact]
    public async Task The_amount_bounds_come_from_the_options()
    {
        var ex = await RefusedAsync(
            c => c.CreatePayinAsync(new PayinCreateOptions { TradeNo = "T1", Amount = 150, Mobile = "0712345678", NotifyUrl = NotifyUrl }),
            o => { o.MinAmount = 10; o.MaxAmount = 100; });

        Assert.Contains("above the maximum of KES 100", ex.Reason);

        await TestPaypro.Client(_handler, o => { o.MinAmount = 10; o.MaxAmount = 100; })
            .CreatePayinAsync(new PayinCreateOptions { TradeNo = "T1", Amount = 10, Mobile = "0712345678", NotifyUrl = NotifyUrl });
        Assert.Equal("10", _handler.Single.Fields["amount"]);
    }

    [Theory]
    [InlineData("0812345678")]
    [InlineData("255712345678")]
    [InlineData("12345")]
    public async Task A_mobile_that_is_not_an_mpesa_number_is_refused_without_echoing_it(string mobile)
    {
        var ex = await RefusedAsync(c => c.CreatePayinAsync(new PayinCreateOptions
        {
            TradeNo = "T1",
            Amount = 50,
            Mobile = mobile,
            NotifyUrl = NotifyUrl,
        }));

        Assert.Equal("mobile", ex.Field);
        Assert.DoesNotContain(mobile, ex.Message);
    }

    [Fact]
    public async Task A_payin_or_checkout_needs_an_absolute_http_notify_url()
    {
        var missing = await RefusedAsync(c => c.CreatePayinAsync(new PayinCreateOptions
        {
            TradeNo = "T1",
            Amount = 50,
            Mobile = "0712345678",
            NotifyUrl = null!,
        }));
        Assert.Equal("notifyUrl", missing.Field);
        Assert.Contains("required", missing.Reason);

        var relative = await RefusedAsync(c => c.CreateCheckoutAsync(new CheckoutCreateOptions
        {
            TradeNo = "T1",
            Amount = 50,
            NotifyUrl = new Uri("/notify", UriKind.Relative),
        }));
        Assert.Contains("absolute http or https", relative.Reason);

        var ftp = await RefusedAsync(c => c.CreatePayoutAsync(new PayoutCreateOptions
        {
            TradeNo = "T1",
            Amount = 50,
            Mobile = "0712345678",
            NotifyUrl = new Uri("ftp://merchant.example/notify"),
        }));
        Assert.Equal("notifyUrl", ftp.Field);
    }

    [Theory]
    [InlineData("line\nbreak", "control characters")]
    [InlineData("tab\there", "control characters")]
    [InlineData("nul\0", "control characters")]
    public async Task A_remark_with_control_characters_is_refused(string remark, string reason)
    {
        var ex = await RefusedAsync(c => c.CreatePayoutAsync(new PayoutCreateOptions
        {
            TradeNo = "T1",
            Amount = 50,
            Mobile = "0712345678",
            Remark = remark,
        }));

        Assert.Equal("remark", ex.Field);
        Assert.Contains(reason, ex.Reason);
    }

    [Fact]
    public async Task A_remark_with_a_lone_surrogate_is_refused()
    {
        // Not an InlineData: attribute strings are stored as UTF-8, which would replace the lone surrogate.
        const string remark = "lone \ud800 surrogate";

        var ex = await RefusedAsync(c => c.CreatePayoutAsync(new PayoutCreateOptions
        {
            TradeNo = "T1",
            Amount = 50,
            Mobile = "0712345678",
            Remark = remark,
        }));

        Assert.Equal("remark", ex.Field);
        Assert.Contains("not valid Unicode", ex.Reason);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("-x")]
    [InlineData("T1\n")]
    public async Task Queries_refuse_a_bad_trade_no(string tradeNo)
    {
        Assert.Equal("tradeNo", (await RefusedAsync(c => c.QueryPayoutAsync(tradeNo))).Field);
        Assert.Equal("tradeNo", (await RefusedAsync(c => c.QueryPayinAsync(tradeNo))).Field);
    }

    [Theory]
    [InlineData("")]
    [InlineData("shl2a6waqu")]
    [InlineData("SHL2A6WAQ")]
    [InlineData("SHL2A6WAQU\n")]
    public async Task The_mpesa_lookup_refuses_a_malformed_code(string code)
    {
        var ex = await RefusedAsync(c => c.QueryByMpesaCodeAsync(code));

        Assert.Equal("code", ex.Field);
        Assert.Contains("M-Pesa receipt code", ex.Reason);
    }

    [Fact]
    public async Task Null_options_are_refused()
    {
        var client = TestPaypro.Client(_handler);

        await Assert.ThrowsAsync<ArgumentNullException>(() => client.CreatePayoutAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => client.CreatePayinAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => client.CreateCheckoutAsync(null!));
        Assert.Equal(0, _handler.Count);
    }
}
