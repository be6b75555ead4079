using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Paypro.Tests.Infrastructure;

namespace Paypro.Tests.Client;

public sealed class PayproLoggingTests
{
    private const string Mobile = "254712345678";

    [Fact]
    public async Task Logs_never_hold_the_secret_a_sign_or_a_full_mobile_number()
    {
        var signs = new List<string>();
        var handler = new FakePayproHandler((request, _) =>
        {
            lock (signs)
            {
                signs.Add(request.Fields.Sign!);
            }
            var body = request.Uri.AbsolutePath.EndsWith("/api/payout", StringComparison.Ordinal)
                ? TestPaypro.AcceptedCreate
                : TestPaypro.Envelope("5000", msg: "system exception");
            return Task.FromResult(FakePayproHandler.Json(HttpStatusCode.OK, body));
        });
        var time = new FakeTimeProvider(TestPaypro.Now);
        using var provider = TestPaypro.Services(
            handler,
            time,
            o => o.QueryMaxRetries = 1,
            s => s.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace)).AddFakeLogging());
        var client = provider.GetRequiredService<PayproClient>();
        var logs = provider.GetFakeLogCollector();

        await TestPaypro.DriveAsync(
            client.CreatePayoutAsync(new PayoutCreateOptions { TradeNo = "L-1", Amount = 500, Mobile = Mobile, Remark = "r" }),
            time);
        await TestPaypro.DriveAsync(client.QueryPayoutAsync("L-1"), time);
        await TestPaypro.DriveAsync(
            client.CreatePayinAsync(new PayinCreateOptions
            {
                TradeNo = "L-2",
                Amount = 500,
                Mobile = Mobile,
                NotifyUrl = new Uri("https://merchant.example/notify"),
            }),
            time);

        var text = logs.AllText();
        Assert.Contains("L-1", text);
        Assert.Contains("254******678", text);
        Assert.NotEmpty(signs);
        Assert.DoesNotContain(TestPaypro.Secret, text);
        Assert.DoesNotContain(Mobile, text);
        Assert.DoesNotContain("712345678", text);
        Assert.All(signs, sign => Assert.DoesNotContain(sign, text));
    }

    [Fact]
    public async Task Outcomes_are_logged_at_levels_that_fit_them()
    {
        var logger = new FakeLogger<PayproClient>();
        var payout = new PayoutCreateOptions { TradeNo = "L-1", Amount = 500, Mobile = Mobile };

        await TestPaypro.Client(TestPaypro.Answer(TestPaypro.AcceptedCreate), logger: logger).CreatePayoutAsync(payout);
        await TestPaypro.Client(TestPaypro.Answer(TestPaypro.Envelope("8000")), logger: logger).CreatePayoutAsync(payout);
        await TestPaypro.Client(TestPaypro.Answer("", HttpStatusCode.BadGateway), logger: logger).CreatePayoutAsync(payout);

        var levels = logger.Collector.GetSnapshot().Where(r => r.Category == typeof(PayproClient).FullName).Select(r => r.Level).ToArray();
        Assert.Equal([LogLevel.Information, LogLevel.Warning, LogLevel.Error], levels);
    }
}
