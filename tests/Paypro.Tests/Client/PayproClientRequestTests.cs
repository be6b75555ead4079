using System.Text.Json;
using Paypro.Tests.Infrastructure;
using Paypro.Tests.Parsing;

namespace Paypro.Tests.Client;

/// <summary>What the client puts on the wire for each endpoint.</summary>
public sealed class PayproClientRequestTests
{
    private static readonly Uri NotifyUrl = new("https://merchant.example/api/paypro/notify?code=abc");

    private static void AssertAllStrings(RecordedRequest request)
    {
        Assert.All(request.Fields, f => Assert.Equal(JsonValueKind.String, f.Kind));
        Assert.All(request.Fields, f => Assert.NotEqual("", f.Value));
    }

    private static void AssertSignedWith(RecordedRequest request, SaltPosition salt = SaltPosition.Append)
    {
        Assert.Matches("^[0-9a-f]{32}$", request.Fields.Sign);
        Assert.Equal(0, request.Fields.MatchSignature([TestPaypro.Secret], salt));
    }

    [Fact]
    public async Task A_payout_is_posted_as_the_golden_vector()
    {
        var handler = new FakePayproHandler(TestPaypro.AcceptedCreate);

        await TestPaypro.Client(handler).CreatePayoutAsync(new PayoutCreateOptions
        {
            TradeNo = "1000023",
            Amount = 50,
            Mobile = "0115555088",
            Remark = "r1",
            NotifyUrl = NotifyUrl,
        });

        var request = handler.Single;
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("https://paypro.test/ke-pay/api/payout", request.Uri.AbsoluteUri);
        Assert.Equal(TestPaypro.MerchantNo, request.Headers["merchantNo"]);
        Assert.Equal("application/json", request.ContentType);
        AssertAllStrings(request);
        // The first vector of signing-vectors.json: same fields, same secret, same sign.
        Assert.Equal("3a9dcc4947d73dc8e3a503eae3020927", request.Fields.Sign);
        Assert.Equal("254115555088", request.Fields["mobile"]);
        Assert.Equal("1715941383720", request.Fields["timestamp"]);
        Assert.Equal("sign", request.Fields[^1].Name);
    }

    [Fact]
    public async Task Unset_optional_fields_are_left_out_not_sent_empty_or_null()
    {
        var handler = new FakePayproHandler(TestPaypro.AcceptedCreate);

        await TestPaypro.Client(handler).CreatePayoutAsync(new PayoutCreateOptions
        {
            TradeNo = "20241123093000123",
            Amount = 120,
            Mobile = "254712345678",
            Remark = "",
        });

        var request = handler.Single;
        Assert.Equal(["amount", "mobile", "timestamp", "tradeNo", "sign"], request.Fields.Select(f => f.Name));
        Assert.DoesNotContain("null", request.BodyText);
        // The "optional fields omitted" vector.
        Assert.Equal("96c977adb1face88f766c0b4c2cb0615", request.Fields.Sign);
    }

    [Fact]
    public async Task The_prepend_salt_position_is_applied()
    {
        var handler = new FakePayproHandler(TestPaypro.AcceptedCreate);

        await TestPaypro.Client(handler, o => o.SaltPosition = SaltPosition.Prepend)
            .CreatePayoutAsync(new PayoutCreateOptions { TradeNo = "1000023", Amount = 50, Mobile = "254115555088" });

        // The "secret prepended" vector.
        Assert.Equal("4560fcce162903ff5dac8369e2454e9e", handler.Single.Fields.Sign);
    }

    [Fact]
    public async Task A_payin_sends_its_fields_and_the_golden_sign()
    {
        var handler = new FakePayproHandler(TestPaypro.AcceptedCreate);

        var result = await TestPaypro.Client(handler).CreatePayinAsync(new PayinCreateOptions
        {
            TradeNo = "P-77",
            Amount = 75,
            Mobile = "+254 799 000 111",
            NotifyUrl = new Uri("https://merchant.example/notify"),
            Remark = "order 77",
        });

        var request = handler.Single;
        Assert.Equal(PayproOutcome.Accepted, result.Outcome);
        Assert.EndsWith("/ke-pay/api/payin", request.Uri.AbsolutePath);
        AssertAllStrings(request);
        Assert.Equal("443042b7bf3c637b1f75517c3af0c0d2", request.Fields.Sign);
    }

    [Fact]
    public async Task A_non_ascii_remark_is_sent_as_utf8_and_signed_as_such()
    {
        var handler = new FakePayproHandler(TestPaypro.AcceptedCreate);

        await TestPaypro.Client(handler).CreatePayoutAsync(new PayoutCreateOptions
        {
            TradeNo = "U-1",
            Amount = 60,
            Mobile = "0712000000",
            Remark = "Malipo ya Juma — asante",
        });

        var request = handler.Single;
        Assert.Contains("Malipo ya Juma — asante", request.BodyText);
        Assert.Equal("c85e56a3287c3e2602aa12564993fc9d", request.Fields.Sign);
    }

    [Fact]
    public async Task A_remark_with_quotes_is_escaped_and_signed_over_its_value()
    {
        var handler = new FakePayproHandler(TestPaypro.AcceptedCreate);

        await TestPaypro.Client(handler).CreatePayoutAsync(new PayoutCreateOptions
        {
            TradeNo = "Q-1",
            Amount = 60,
            Mobile = "0712000000",
            Remark = "say \"hi\" \\ & <b>",
        });

        var request = handler.Single;
        Assert.Equal("say \"hi\" \\ & <b>", request.Fields["remark"]);
        AssertSignedWith(request);
    }

    [Fact]
    public async Task A_checkout_sends_no_mobile_and_returns_the_page()
    {
        var handler = new FakePayproHandler(
            TestPaypro.Envelope("0000", """{"serialNumber":"SN9","status":"0015","paymentUrl":"https://pay.example/c/SN9"}"""));

        var result = await TestPaypro.Client(handler).CreateCheckoutAsync(
            new CheckoutCreateOptions { TradeNo = "C-1", Amount = 100, NotifyUrl = NotifyUrl });

        var request = handler.Single;
        Assert.EndsWith("/api/payinConsole", request.Uri.AbsolutePath);
        Assert.Equal(["amount", "notifyUrl", "timestamp", "tradeNo", "sign"], request.Fields.Select(f => f.Name));
        AssertSignedWith(request);
        Assert.Equal(PayproOutcome.Accepted, result.Outcome);
        Assert.Equal("https://pay.example/c/SN9", result.CheckoutUrl);
        Assert.Equal("SN9", result.SerialNumber);
    }

    [Theory]
    [InlineData("payout", "/api/queryPayOutResult")]
    [InlineData("payin", "/api/queryPayinResult")]
    public async Task A_status_query_sends_only_the_trade_no_and_sign(string kind, string path)
    {
        var handler = new FakePayproHandler(TestPaypro.Envelope("0000", """{"tradeNo":"00000020","amount":"50","status":"0000"}"""));
        var client = TestPaypro.Client(handler);

        var result = kind == "payout" ? await client.QueryPayoutAsync("00000020") : await client.QueryPayinAsync("00000020");

        var request = handler.Single;
        Assert.EndsWith(path, request.Uri.AbsolutePath);
        Assert.Equal(TestPaypro.MerchantNo, request.Headers["merchantNo"]);
        Assert.Equal(["tradeNo", "sign"], request.Fields.Select(f => f.Name));
        // The "payout status query" vector: no timestamp in the signed string.
        Assert.Equal("63f910c88440e88cf7598353e6e95546", request.Fields.Sign);
        Assert.Equal(PayproQueryOutcome.Found, result.Outcome);
    }

    [Fact]
    public async Task An_mpesa_lookup_sends_code_and_timestamp()
    {
        var handler = new FakePayproHandler(PayproExamples.MpesaQueryResponse);

        var result = await TestPaypro.Client(handler).QueryByMpesaCodeAsync("SHL2A6WAQU");

        var request = handler.Single;
        Assert.EndsWith("/api/queryResultByCode", request.Uri.AbsolutePath);
        Assert.Equal(["code", "timestamp", "sign"], request.Fields.Select(f => f.Name));
        // The "mpesa code lookup" vector.
        Assert.Equal("0fed07641aa6e5c45768e0c935b25197", request.Fields.Sign);
        Assert.Equal(PayproQueryOutcome.Found, result.Outcome);
        Assert.Equal("SHL2S6WAAU", result.Transaction!.MpesaReceiptNumber);
    }

    [Fact]
    public async Task The_balance_call_uses_the_configured_path_and_a_timestamp()
    {
        var handler = new FakePayproHandler(PayproExamples.BalanceResponse);

        var result = await TestPaypro.Client(handler, o => o.BalancePath = "/api/merchant/balance").GetBalanceAsync();

        var request = handler.Single;
        Assert.Equal("/ke-pay/api/merchant/balance", request.Uri.AbsolutePath);
        Assert.Equal(["timestamp", "sign"], request.Fields.Select(f => f.Name));
        Assert.Equal("1715941383720", request.Fields["timestamp"]);
        AssertSignedWith(request);
        Assert.Equal(PayproQueryOutcome.Found, result.Outcome);
        Assert.Equal(12500.50m, result.AvailableAmount);
    }

    [Fact]
    public async Task A_base_url_with_a_trailing_slash_keeps_its_prefix()
    {
        var handler = new FakePayproHandler(TestPaypro.AcceptedCreate);

        await TestPaypro.Client(handler, o => o.BaseUrl = new Uri("http://127.0.0.1:5055/ke-pay/"))
            .CreatePayoutAsync(new PayoutCreateOptions { TradeNo = "T1", Amount = 50, Mobile = "0712345678" });

        Assert.Equal("http://127.0.0.1:5055/ke-pay/api/payout", handler.Single.Uri.AbsoluteUri);
    }

    [Fact]
    public async Task Each_call_asks_the_secret_source_and_uses_the_current_secret()
    {
        var handler = new FakePayproHandler(TestPaypro.AcceptedCreate);
        var secrets = new RotatingSecretSource("first");
        var client = new PayproClient(
            new SingleHandlerFactory(handler),
            Microsoft.Extensions.Options.Options.Create(TestPaypro.Options()),
            secrets,
            TimeProvider.System);

        await client.QueryPayoutAsync("T1");
        secrets.Current = "second";
        await client.QueryPayoutAsync("T1");

        Assert.Equal(0, handler.Requests[0].Fields.MatchSignature(["first"], SaltPosition.Append));
        Assert.Equal(0, handler.Requests[1].Fields.MatchSignature(["second"], SaltPosition.Append));
    }

    [Fact]
    public async Task Create_and_query_calls_use_their_own_named_clients()
    {
        var handler = new FakePayproHandler(TestPaypro.AcceptedCreate);
        var factory = new SingleHandlerFactory(handler);
        var client = new PayproClient(
            factory,
            Microsoft.Extensions.Options.Options.Create(TestPaypro.Options()),
            new StaticPayproSecretSource(TestPaypro.Secret),
            TimeProvider.System);

        await client.CreatePayoutAsync(new PayoutCreateOptions { TradeNo = "T1", Amount = 50, Mobile = "0712345678" });
        await client.CreatePayinAsync(new PayinCreateOptions { TradeNo = "T2", Amount = 50, Mobile = "0712345678", NotifyUrl = NotifyUrl });
        await client.CreateCheckoutAsync(new CheckoutCreateOptions { TradeNo = "T3", Amount = 50, NotifyUrl = NotifyUrl });
        await client.QueryPayoutAsync("T1");
        await client.QueryPayinAsync("T2");
        await client.QueryByMpesaCodeAsync("SHL2A6WAQU");
        await client.GetBalanceAsync();

        Assert.Equal(
            [.. Enumerable.Repeat(PayproClient.CreateHttpClientName, 3), .. Enumerable.Repeat(PayproClient.QueryHttpClientName, 4)],
            factory.Names);
    }

    private sealed class RotatingSecretSource(string current) : IPayproSecretSource
    {
        public string Current { get; set; } = current;

        public ValueTask<string> GetSigningSecretAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(Current);
    }
}
