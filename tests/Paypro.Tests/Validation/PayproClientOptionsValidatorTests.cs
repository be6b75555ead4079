using Paypro.Tests.Infrastructure;

namespace Paypro.Tests.Validation;

public sealed class PayproClientOptionsValidatorTests
{
    private static IEnumerable<string> Failures(Action<PayproClientOptions> change)
    {
        var options = TestPaypro.Options(change);
        var result = new PayproClientOptionsValidator().Validate(null, options);
        return result.Failed ? result.Failures! : [];
    }

    [Fact]
    public void The_defaults_with_a_base_url_and_merchant_are_valid()
    {
        Assert.Empty(Failures(_ => { }));
        Assert.Empty(Failures(o => o.BaseUrl = new Uri("http://127.0.0.1:5055/")));
        Assert.Empty(Failures(o => o.BaseUrl = new Uri("http://localhost:5055/")));
        Assert.Empty(Failures(o => o.BaseUrl = new Uri("http://[::1]:5055/")));
        Assert.Empty(Failures(o => o.BaseUrl = new Uri("https://paypro.test/ke-pay")));
    }

    [Theory]
    [InlineData("BaseUrl", "Paypro:BaseUrl is required")]
    [InlineData("BaseUrl=relative", "Paypro:BaseUrl must be an absolute http or https URL")]
    [InlineData("BaseUrl=ftp", "Paypro:BaseUrl must be an absolute http or https URL")]
    [InlineData("BaseUrl=query", "Paypro:BaseUrl must not have a query string")]
    [InlineData("BaseUrl=http", "Paypro:BaseUrl must be an https URL")]
    [InlineData("MerchantNo=", "Paypro:MerchantNo must be exactly 10 digits")]
    [InlineData("MerchantNo=123456789", "Paypro:MerchantNo must be exactly 10 digits")]
    [InlineData("MerchantNo=12345678901", "Paypro:MerchantNo must be exactly 10 digits")]
    [InlineData("MerchantNo=12345x7890", "Paypro:MerchantNo must be exactly 10 digits")]
    [InlineData("MerchantNo=١٢٣٤٥٦٧٨٩٠", "Paypro:MerchantNo must be exactly 10 digits")]
    [InlineData("SaltPosition", "Paypro:SaltPosition must be Append or Prepend")]
    [InlineData("RequestTimeout=0", "Paypro:RequestTimeout must be between 00:00:01 and 00:05:00")]
    [InlineData("RequestTimeout=600", "Paypro:RequestTimeout must be between 00:00:01 and 00:05:00")]
    [InlineData("QueryMaxRetries=-1", "Paypro:QueryMaxRetries must be between 0 and 10")]
    [InlineData("QueryMaxRetries=11", "Paypro:QueryMaxRetries must be between 0 and 10")]
    [InlineData("BalancePath=", "Paypro:BalancePath must be a path starting with '/'")]
    [InlineData("BalancePath=api/balance", "Paypro:BalancePath must be a path starting with '/'")]
    [InlineData("BalancePath=//evil.example/x", "Paypro:BalancePath must be a path starting with '/'")]
    [InlineData("BalancePath=/api/balance?x=1", "Paypro:BalancePath must be a path starting with '/'")]
    [InlineData("BalancePath=/api/bal ance", "Paypro:BalancePath must be a path starting with '/'")]
    [InlineData("MinAmount=0", "Paypro:MinAmount must be at least 1")]
    [InlineData("MaxAmount=49", "Paypro:MaxAmount must be at least Paypro:MinAmount (50)")]
    public void Each_bad_setting_is_named_in_the_message(string change, string message)
    {
        var (name, value) = change.Split('=', 2) is [var n, var v] ? (n, v) : (change, null);
        var failures = Failures(o =>
        {
            switch (name)
            {
                case "BaseUrl":
                    o.BaseUrl = value switch
                    {
                        null => null,
                        "relative" => new Uri("/ke-pay", UriKind.Relative),
                        "ftp" => new Uri("ftp://paypro.test/"),
                        "http" => new Uri("http://paypro.test/ke-pay"),
                        _ => new Uri("https://paypro.test/ke-pay?x=1"),
                    };
                    break;
                case "MerchantNo": o.MerchantNo = value!; break;
                case "SaltPosition": o.SaltPosition = (SaltPosition)7; break;
                case "RequestTimeout": o.RequestTimeout = TimeSpan.FromSeconds(int.Parse(value!)); break;
                case "QueryMaxRetries": o.QueryMaxRetries = int.Parse(value!); break;
                case "BalancePath": o.BalancePath = value!; break;
                case "MinAmount": o.MinAmount = long.Parse(value!); break;
                case "MaxAmount": o.MaxAmount = long.Parse(value!); break;
            }
        });

        Assert.Contains(failures, f => f.StartsWith(message, StringComparison.Ordinal));
        Assert.Single(failures);
    }

    [Fact]
    public void Every_failure_is_reported_at_once()
    {
        var result = new PayproClientOptionsValidator().Validate(null, new PayproClientOptions { MinAmount = 0, QueryMaxRetries = 99 });

        Assert.True(result.Failed);
        Assert.Equal(4, result.Failures!.Count());
    }

    [Fact]
    public void A_client_built_by_hand_with_bad_options_fails_at_construction()
    {
        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            TestPaypro.Client(new FakePayproHandler("{}"), o => o.MerchantNo = "12"));

        Assert.Contains("Paypro:MerchantNo must be exactly 10 digits", ex.Message);
    }
}
