using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Paypro.Sandbox.Tests.Infrastructure;

namespace Paypro.Sandbox.Tests;

/// <summary>Logs never carry the app secret, a sign, a function key or a full mobile number.</summary>
public sealed class SecretHygieneTests
{
    private const string Secret = "hygiene-secret-7f3a9c";

    [Fact]
    public async Task A_busy_run_logs_no_secret_sign_key_or_full_mobile()
    {
        var logs = new FakeLogCollector();
        await using var receiver = await CallbackReceiver.StartAsync();
        await using var host = await SandboxHost.StartAsync(
            o =>
            {
                o.AppSecret = Secret;
                o.TimeScale = 0.0001;
                o.DefaultNotifyUrl = receiver.NotifyUrl;
            },
            builder =>
            {
                builder.Logging.AddProvider(new FakeLoggerProvider(logs));
                builder.Logging.SetMinimumLevel(LogLevel.Trace);
            },
            CancellationToken.None);
        using var client = new SandboxClient(host);
        receiver.Answer = n => n % 2 == 0 ? "FAIL" : "OK";
        string[] mobiles =
        [
            TestMobiles.Success,
            TestMobiles.Rejected,
            TestMobiles.Refused,
            TestMobiles.SystemError,
            TestMobiles.ImmediateSuccess,
        ];

        foreach (var mobile in mobiles)
        {
            await client.PayoutAsync(TestTradeNos.New(), mobile);
            await client.PayinAsync(TestTradeNos.New(), mobile, receiver.NotifyUrl);
        }
        var forged = SandboxClient.Fields(
            ("amount", "50"),
            ("mobile", TestMobiles.Success),
            ("timestamp", SandboxClient.Timestamp()),
            ("tradeNo", "FORGED"));
        await client.PostAsync(PayproPaths.Payout, forged, sign: "0123456789abcdef0123456789abcdef");
        host.Faults.Add(new SandboxFault { Kind = FaultKind.ExecuteThenAbort });
        await Assert.ThrowsAsync<HttpRequestException>(() => client.PayoutAsync(TestTradeNos.New(), TestMobiles.Success));
        // 3 payouts and 3 payins executed (endings 14 and 15 are not), plus the aborted payout.
        await Eventually.UntilAsync(
            () => host.Callbacks.Count(c => c.State == CallbackState.Delivered) == 7,
            "every callback is delivered");

        var lines = logs.GetSnapshot().Select(record => record.FullText()).ToList();
        Assert.Contains(lines, l => l.Contains("254******600"));
        Assert.Contains(lines, l => l.Contains("?code=***"));
        var signs = receiver.Received.Select(r => r.Fields.Sign!).Append("0123456789abcdef0123456789abcdef").ToArray();
        Assert.All(lines, line =>
        {
            Assert.DoesNotContain(Secret, line);
            Assert.DoesNotContain(CallbackReceiver.FunctionKey, line);
            foreach (var mobile in mobiles)
            {
                Assert.DoesNotContain(mobile, line);
            }
            foreach (var sign in signs)
            {
                Assert.DoesNotContain(sign, line);
            }
        });
    }
}
