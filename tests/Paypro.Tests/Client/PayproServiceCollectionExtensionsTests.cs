using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Paypro.Tests.Infrastructure;

namespace Paypro.Tests.Client;

public sealed class PayproServiceCollectionExtensionsTests
{
    private static ServiceCollection Services(Dictionary<string, string?>? settings = null)
    {
        var services = new ServiceCollection();
        if (settings is not null)
        {
            services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        }
        services.AddSingleton<IPayproSecretSource>(new StaticPayproSecretSource(TestPaypro.Secret));
        return services;
    }

    /// <summary>The one failure start-up reports: about the Paypro settings, each named once.</summary>
    private static OptionsValidationException StartUpFailure(IServiceProvider provider)
    {
        var thrown = Record.Exception(() => provider.GetRequiredService<IStartupValidator>().Validate());
        var ex = Assert.IsType<OptionsValidationException>(
            thrown is AggregateException { InnerExceptions.Count: 1 } one ? one.InnerExceptions[0] : thrown);
        Assert.Equal(typeof(PayproClientOptions), ex.OptionsType);
        return ex;
    }

    [Fact]
    public void Options_are_bound_from_the_paypro_section()
    {
        var services = Services(new()
        {
            ["Paypro:BaseUrl"] = "http://127.0.0.1:5055/ke-pay",
            ["Paypro:MerchantNo"] = "0987654321",
            ["Paypro:SaltPosition"] = "Prepend",
            ["Paypro:RequestTimeout"] = "00:00:12",
            ["Paypro:QueryMaxRetries"] = "5",
            ["Paypro:BalancePath"] = "/api/merchant/balance",
            ["Paypro:MinAmount"] = "10",
            ["Paypro:MaxAmount"] = "150000",
        });
        services.AddPayproClient();
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<PayproClientOptions>>().Value;

        Assert.Equal(new Uri("http://127.0.0.1:5055/ke-pay"), options.BaseUrl);
        Assert.Equal("0987654321", options.MerchantNo);
        Assert.Equal(SaltPosition.Prepend, options.SaltPosition);
        Assert.Equal(TimeSpan.FromSeconds(12), options.RequestTimeout);
        Assert.Equal(5, options.QueryMaxRetries);
        Assert.Equal("/api/merchant/balance", options.BalancePath);
        Assert.Equal(10, options.MinAmount);
        Assert.Equal(150000, options.MaxAmount);
    }

    [Fact]
    public void The_configure_callback_runs_after_binding()
    {
        var services = Services(new() { ["Paypro:BaseUrl"] = "https://paypro.test/", ["Paypro:MerchantNo"] = "0987654321" });
        services.AddPayproClient(o => o.MerchantNo = "1111111111");
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<PayproClientOptions>>().Value;

        Assert.Equal("1111111111", options.MerchantNo);
        Assert.Equal(new Uri("https://paypro.test/"), options.BaseUrl);
    }

    [Fact]
    public void Bad_settings_stop_start_up_with_the_setting_named()
    {
        var services = Services(new() { ["Paypro:BaseUrl"] = "https://paypro.test/", ["Paypro:MerchantNo"] = "12345" });
        services.AddPayproClient();
        using var provider = services.BuildServiceProvider();

        // What the host runs at start-up for ValidateOnStart.
        var ex = StartUpFailure(provider);
        Assert.Equal(["Paypro:MerchantNo must be exactly 10 digits (the merchant id Paypro issued)."], ex.Failures);
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<PayproClient>());
    }

    [Fact]
    public void Without_any_configuration_the_required_settings_are_reported_missing()
    {
        var services = Services();
        services.AddPayproClient();
        using var provider = services.BuildServiceProvider();

        var ex = StartUpFailure(provider);

        Assert.Equal(2, ex.Failures.Count());
        Assert.Contains("Paypro:BaseUrl is required", ex.Message);
        Assert.Contains("Paypro:MerchantNo must be exactly 10 digits", ex.Message);
    }

    [Fact]
    public void The_secret_source_is_the_apps_to_register()
    {
        var services = new ServiceCollection();
        services.AddPayproClient(o => { o.BaseUrl = TestPaypro.BaseUrl; o.MerchantNo = TestPaypro.MerchantNo; });
        using var provider = services.BuildServiceProvider();

        Assert.DoesNotContain(services, d => d.ServiceType == typeof(IPayproSecretSource));
        var ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<PayproClient>());
        Assert.Contains(nameof(IPayproSecretSource), ex.Message);
    }

    [Fact]
    public void The_system_clock_is_registered_only_when_the_app_has_none()
    {
        var withNone = Services();
        withNone.AddPayproClient();
        Assert.Same(TimeProvider.System, withNone.BuildServiceProvider().GetRequiredService<TimeProvider>());

        var fake = new FakeTimeProvider();
        var withFake = Services();
        withFake.AddSingleton<TimeProvider>(fake);
        withFake.AddPayproClient();
        Assert.Same(fake, withFake.BuildServiceProvider().GetRequiredService<TimeProvider>());
    }

    [Fact]
    public void The_client_is_a_singleton()
    {
        var services = Services();
        services.AddPayproClient(o => { o.BaseUrl = TestPaypro.BaseUrl; o.MerchantNo = TestPaypro.MerchantNo; });
        using var provider = services.BuildServiceProvider();

        Assert.Same(provider.GetRequiredService<PayproClient>(), provider.GetRequiredService<PayproClient>());
    }

    [Theory]
    [InlineData(PayproClient.CreateHttpClientName)]
    [InlineData(PayproClient.QueryHttpClientName)]
    public void The_named_clients_leave_timeouts_to_the_pipeline_and_cap_answers(string name)
    {
        var services = Services();
        services.AddPayproClient(o => { o.BaseUrl = TestPaypro.BaseUrl; o.MerchantNo = TestPaypro.MerchantNo; });
        using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(name);

        Assert.Equal(Timeout.InfiniteTimeSpan, client.Timeout);
        Assert.Equal(1024 * 1024, client.MaxResponseContentBufferSize);
    }

    [Fact]
    public void The_query_pipeline_has_room_for_every_attempt_and_delay()
    {
        var resilience = new Microsoft.Extensions.Http.Resilience.HttpStandardResilienceOptions();
        var options = TestPaypro.Options(o => { o.RequestTimeout = TimeSpan.FromMinutes(1); o.QueryMaxRetries = 3; });

        PayproServiceCollectionExtensions.ConfigureQueryResilience(resilience, options);

        Assert.Equal(TimeSpan.FromMinutes(1), resilience.AttemptTimeout.Timeout);
        Assert.Equal(3, resilience.Retry.MaxRetryAttempts);
        Assert.True(resilience.Retry.UseJitter);
        Assert.Equal(Polly.DelayBackoffType.Exponential, resilience.Retry.BackoffType);
        Assert.True(resilience.TotalRequestTimeout.Timeout >= TimeSpan.FromMinutes(4) + TimeSpan.FromSeconds(45));
        Assert.True(resilience.CircuitBreaker.SamplingDuration >= TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task An_answer_larger_than_the_cap_is_unknown()
    {
        var handler = TestPaypro.Answer(
            TestPaypro.Envelope("0000", $$"""{"status":"0015","message":"{{new string('x', 1024 * 1024)}}"}"""));
        var time = new FakeTimeProvider(TestPaypro.Now);
        using var provider = TestPaypro.Services(handler, time);

        var result = await TestPaypro.DriveAsync(
            provider.GetRequiredService<PayproClient>()
                .CreatePayoutAsync(new PayoutCreateOptions { TradeNo = "T1", Amount = 50, Mobile = "0712345678" }),
            time);

        Assert.Equal(PayproOutcome.Unknown, result.Outcome);
        Assert.Equal(1, handler.Count);
    }
}
