using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Paypro.Tests.Infrastructure;

namespace Paypro.Tests.Client;

/// <summary>
/// The client as <see cref="PayproServiceCollectionExtensions.AddPayproClient"/> wires it: real resilience
/// pipelines over a fake Paypro, on a fake clock.
/// </summary>
public sealed class PayproResilienceTests
{
    private static readonly Uri NotifyUrl = new("https://merchant.example/notify");

    private readonly FakeTimeProvider _time = new(TestPaypro.Now);

    public static TheoryData<string> CreateCalls() => ["payout", "payin", "checkout"];

    private static Task<PayproCreateResult> CreateAsync(
        PayproClient client,
        string call,
        CancellationToken cancellationToken = default) => call switch
    {
        "payout" => client.CreatePayoutAsync(
            new PayoutCreateOptions { TradeNo = "T-1", Amount = 500, Mobile = "0712345678" },
            cancellationToken),
        "payin" => client.CreatePayinAsync(
            new PayinCreateOptions { TradeNo = "T-1", Amount = 500, Mobile = "0712345678", NotifyUrl = NotifyUrl },
            cancellationToken),
        _ => client.CreateCheckoutAsync(
            new CheckoutCreateOptions { TradeNo = "T-1", Amount = 500, NotifyUrl = NotifyUrl },
            cancellationToken),
    };

    private PayproClient Client(
        FakePayproHandler handler,
        Action<PayproClientOptions>? configure = null,
        Action<IServiceCollection>? services = null) =>
        TestPaypro.Services(handler, _time, configure, services).GetRequiredService<PayproClient>();

    [Fact]
    public async Task A_payout_call_which_times_out_is_reported_as_outcome_unknown_and_was_sent_exactly_once()
    {
        var handler = FakePayproHandler.Hanging();
        var client = Client(handler);

        var result = await TimesOutAfterAsync(CreateAsync(client, "payout"), handler, TimeSpan.FromSeconds(30));

        Assert.Equal(PayproOutcome.Unknown, result.Outcome);
        Assert.Contains("timed out", result.Detail);
        Assert.Contains("00:00:30", result.Detail);
        Assert.Null(result.HttpStatus);
        Assert.Null(result.Code);
        // Long after the timeout there is still exactly one request: nothing was retried in the background.
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(1, handler.Count);
    }

    [Theory]
    [MemberData(nameof(CreateCalls))]
    public async Task Every_create_call_that_times_out_is_unknown_after_one_send(string call)
    {
        var handler = FakePayproHandler.Hanging();
        var client = Client(handler, o => o.RequestTimeout = TimeSpan.FromSeconds(5));

        var result = await TimesOutAfterAsync(CreateAsync(client, call), handler, TimeSpan.FromSeconds(5));

        Assert.Equal(PayproOutcome.Unknown, result.Outcome);
        Assert.Contains("timed out", result.Detail);
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(1, handler.Count);
    }

    /// <summary>Lets the request reach the handler, then moves the clock to just short of the timeout and past it.</summary>
    private async Task<PayproCreateResult> TimesOutAfterAsync(Task<PayproCreateResult> call, FakePayproHandler handler, TimeSpan timeout)
    {
        await Eventually.UntilAsync(() => handler.Count == 1, "the request reaches Paypro");
        _time.Advance(timeout - TimeSpan.FromMilliseconds(1));
        Assert.False(call.IsCompleted, "the call ended before its timeout");
        _time.Advance(TimeSpan.FromMilliseconds(1));
        return await call.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Theory]
    [MemberData(nameof(CreateCalls))]
    public async Task No_create_call_is_retried_on_a_transient_failure(string call)
    {
        var answers = new Func<FakePayproHandler>[]
        {
            () => TestPaypro.Answer("busy", HttpStatusCode.ServiceUnavailable),
            () => TestPaypro.Answer("", HttpStatusCode.InternalServerError),
            () => TestPaypro.Answer("", HttpStatusCode.TooManyRequests),
            () => TestPaypro.Answer("", HttpStatusCode.RequestTimeout),
            () => TestPaypro.Answer(TestPaypro.Envelope("5000", msg: "system exception")),
            () => new FakePayproHandler((_, _) => throw new HttpRequestException("Connection reset by peer")),
        };
        foreach (var answer in answers)
        {
            var handler = answer();

            var result = await TestPaypro.DriveAsync(CreateAsync(Client(handler), call), _time);

            Assert.Equal(PayproOutcome.Unknown, result.Outcome);
            Assert.Equal(1, handler.Count);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_app_wide_standard_resilience_handler_does_not_make_create_calls_retry(bool registeredFirst)
    {
        var handler = TestPaypro.Answer("busy", HttpStatusCode.ServiceUnavailable);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddSingleton<IPayproSecretSource>(new StaticPayproSecretSource(TestPaypro.Secret));
        // What an app (or .NET Aspire's service defaults) does to give every HttpClient retries.
        if (registeredFirst)
        {
            services.ConfigureHttpClientDefaults(b => b.AddStandardResilienceHandler());
        }
        services.AddPayproClient(o => { o.BaseUrl = TestPaypro.BaseUrl; o.MerchantNo = TestPaypro.MerchantNo; });
        if (!registeredFirst)
        {
            services.ConfigureHttpClientDefaults(b => b.AddStandardResilienceHandler());
        }
        services.ConfigureHttpClientDefaults(b => b.ConfigurePrimaryHttpMessageHandler(() => handler));
        using var provider = services.BuildServiceProvider();

        var result = await TestPaypro.DriveAsync(CreateAsync(provider.GetRequiredService<PayproClient>(), "payout"), _time);
        Assert.Equal(PayproOutcome.Unknown, result.Outcome);
        Assert.Equal(1, handler.Count);

        // The control: the same setup retries a POST on any other client, so the count above means something.
        var other = provider.GetRequiredService<IHttpClientFactory>().CreateClient("other");
        using var response = await TestPaypro.DriveAsync(
            other.PostAsync("https://paypro.test/ke-pay/api/payout", new StringContent("{}")),
            _time);
        Assert.True(handler.Count > 2, $"expected the app-wide handler to retry, saw {handler.Count - 1} call(s)");
    }

    [Fact]
    public async Task Registering_twice_does_not_stack_pipelines()
    {
        var handler = TestPaypro.Answer("busy", HttpStatusCode.ServiceUnavailable);
        var provider = TestPaypro.Services(handler, _time, o => o.QueryMaxRetries = 1, s => s.AddPayproClient());

        await TestPaypro.DriveAsync(provider.GetRequiredService<PayproClient>().QueryPayoutAsync("T1"), _time);

        Assert.Equal(2, handler.Count);
        Assert.Single(provider.GetServices<PayproClient>());
    }

    [Fact]
    public async Task A_query_is_retried_after_a_transient_failure()
    {
        var handler = FakePayproHandler.Sequence(
            (HttpStatusCode.ServiceUnavailable, "busy"),
            (HttpStatusCode.OK, TestPaypro.Envelope("0000", """{"tradeNo":"T1","amount":"50","status":"0000"}""")));

        var result = await TestPaypro.DriveAsync(Client(handler).QueryPayoutAsync("T1"), _time);

        Assert.Equal(PayproQueryOutcome.Found, result.Outcome);
        Assert.Equal(2, handler.Count);
        Assert.Equal(handler.Requests[0].Body, handler.Requests[1].Body);
    }

    [Fact]
    public async Task A_query_answered_with_code_5000_is_asked_again()
    {
        var handler = FakePayproHandler.Sequence(
            (HttpStatusCode.OK, TestPaypro.Envelope("5000", msg: "system exception")),
            (HttpStatusCode.OK, TestPaypro.Envelope("8000", msg: "order not exist")));

        var result = await TestPaypro.DriveAsync(Client(handler).QueryPayinAsync("T1"), _time);

        Assert.Equal(PayproQueryOutcome.NotFound, result.Outcome);
        Assert.Equal(2, handler.Count);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    [InlineData(3, 4)]
    public async Task A_query_gives_up_after_the_configured_retries_as_unknown(int retries, int sends)
    {
        var handler = TestPaypro.Answer("busy", HttpStatusCode.ServiceUnavailable);

        var result = await TestPaypro.DriveAsync(
            Client(handler, o => o.QueryMaxRetries = retries).QueryByMpesaCodeAsync("SHL2A6WAQU"),
            _time);

        Assert.Equal(PayproQueryOutcome.Unknown, result.Outcome);
        Assert.Equal(503, result.HttpStatus);
        Assert.Equal(sends, handler.Count);
    }

    [Fact]
    public async Task A_query_whose_attempts_time_out_is_unknown()
    {
        var handler = FakePayproHandler.Hanging();

        var result = await TestPaypro.DriveAsync(
            Client(handler, o =>
            {
                o.QueryMaxRetries = 2;
                o.RequestTimeout = TimeSpan.FromSeconds(5);
            }).QueryPayoutAsync("T1"),
            _time);

        Assert.Equal(PayproQueryOutcome.Unknown, result.Outcome);
        Assert.Contains("timed out", result.Detail);
        Assert.Equal(3, handler.Count);
    }

    [Fact]
    public async Task Answers_that_retrying_cannot_change_are_not_retried()
    {
        var notFound = TestPaypro.Answer(TestPaypro.Envelope("8000"));
        var badSign = TestPaypro.Answer(TestPaypro.Envelope("1002", msg: "invalid sign"));
        var noBalance = TestPaypro.Answer("", HttpStatusCode.NotFound);

        Assert.Equal(PayproQueryOutcome.NotFound, (await TestPaypro.DriveAsync(Client(notFound).QueryPayoutAsync("T1"), _time)).Outcome);
        Assert.Equal(PayproQueryOutcome.Unknown, (await TestPaypro.DriveAsync(Client(badSign).QueryPayoutAsync("T1"), _time)).Outcome);
        Assert.Equal(PayproQueryOutcome.NotFound, (await TestPaypro.DriveAsync(Client(noBalance).GetBalanceAsync(), _time)).Outcome);
        Assert.Equal([1, 1, 1], new[] { notFound.Count, badSign.Count, noBalance.Count });
    }

    [Theory]
    [MemberData(nameof(CreateCalls))]
    public async Task The_callers_cancellation_propagates_through_the_pipeline(string call)
    {
        using var cancellation = new CancellationTokenSource();
        var handler = new FakePayproHandler(async (_, token) =>
        {
            await cancellation.CancelAsync();
            await Task.Delay(Timeout.Infinite, token);
            throw new InvalidOperationException("unreachable");
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => TestPaypro.DriveAsync(CreateAsync(Client(handler), call, cancellation.Token), _time));
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task The_callers_cancellation_of_a_query_propagates_and_stops_retrying()
    {
        using var cancellation = new CancellationTokenSource();
        var handler = new FakePayproHandler(async (_, _) =>
        {
            await cancellation.CancelAsync();
            return FakePayproHandler.Json(HttpStatusCode.ServiceUnavailable, "busy");
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => TestPaypro.DriveAsync(Client(handler).QueryPayoutAsync("T1", cancellation.Token), _time));
        Assert.Equal(1, handler.Count);
    }
}
