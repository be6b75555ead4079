using System.Text.Json;
using Paypro.Sandbox.Tests.Infrastructure;

namespace Paypro.Sandbox.Tests.Callbacks;

/// <summary>Notify callbacks: Paypro Kenya's fields and types, the signature, the target, and what counts as delivered.</summary>
public sealed class CallbackTests
{
    [Fact]
    public async Task A_signed_callback_carries_the_documented_fields_with_their_types()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New();
        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success, amount: "50", notifyUrl: sandbox.Receiver.NotifyUrl);

        var callback = await sandbox.DeliveredCallbackAsync(tradeNo);

        var fields = callback.Fields;
        Assert.Equal(
            ["platFormTradeNo", "tradeNo", "amount", "status", "message", "successTime", "timestamp", "sign"],
            fields.Select(f => f.Name));
        Assert.Equal(JsonValueKind.Number, fields.KindOf("amount"));
        Assert.Equal("50.0000", fields["amount"]);
        Assert.Equal(JsonValueKind.String, fields.KindOf("timestamp"));
        Assert.Equal(13, fields["timestamp"]!.Length);
        Assert.Equal("0000", fields["status"]);
        Assert.Equal("SUCCESS", fields["message"]);
        var entry = sandbox.Host.Ledger.Find(SandboxTransactionKind.Payout, tradeNo)!;
        Assert.Equal(entry.PlatFormTradeNo, fields["platFormTradeNo"]);
        Assert.Equal(entry.CompletedAt!.Value.ToOffset(TimeSpan.FromHours(3)).ToString("yyyy-MM-dd HH:mm:ss"), fields["successTime"]);
        Assert.Equal(0, fields.MatchSignature([sandbox.Host.Options.AppSecret], SaltPosition.Append));
        Assert.Equal(-1, fields.MatchSignature(["another-secret"], SaltPosition.Append));
    }

    [Fact]
    public async Task The_callback_sign_covers_the_amount_token_as_written()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New();
        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success, amount: "3");

        var fields = (await sandbox.DeliveredCallbackAsync(tradeNo)).Fields;

        Assert.Contains("amount=3.0000message=", PayproSignature.Canonicalize(fields.AsPairs()));
        Assert.True(PayproSignature.Matches(fields.AsPairs(), fields.Sign, sandbox.Host.Options.AppSecret));
    }

    [Fact]
    public async Task Callbacks_are_signed_with_the_configured_salt_position()
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.SaltPosition = SaltPosition.Prepend);
        var tradeNo = TestTradeNos.New();
        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.ImmediateSuccess);

        var fields = (await sandbox.DeliveredCallbackAsync(tradeNo)).Fields;

        Assert.Equal(0, fields.MatchSignature([sandbox.Host.Options.AppSecret], SaltPosition.Prepend));
        Assert.Equal(-1, fields.MatchSignature([sandbox.Host.Options.AppSecret], SaltPosition.Append));
    }

    [Fact]
    public async Task Unsigned_callbacks_carry_neither_timestamp_nor_sign_and_the_switch_works_at_run_time()
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.SignCallbacks = false);
        var unsigned = TestTradeNos.New("U");
        var signed = TestTradeNos.New("S");

        await sandbox.Client.PayoutAsync(unsigned, TestMobiles.ImmediateSuccess);
        var first = (await sandbox.DeliveredCallbackAsync(unsigned)).Fields;
        sandbox.Host.Options.SignCallbacks = true;
        await sandbox.Client.PayoutAsync(signed, TestMobiles.ImmediateSuccess);
        var second = (await sandbox.DeliveredCallbackAsync(signed)).Fields;

        Assert.Equal(["platFormTradeNo", "tradeNo", "amount", "status", "message", "successTime"], first.Select(f => f.Name));
        Assert.Null(first.Sign);
        Assert.NotNull(second.Sign);
        Assert.NotNull(second["timestamp"]);
    }

    [Fact]
    public async Task A_changed_secret_signs_the_next_callbacks()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New();
        sandbox.Host.Options.AppSecret = "rotated-secret-0001";
        using var client = new SandboxClient(sandbox.Host);

        await client.PayoutAsync(tradeNo, TestMobiles.ImmediateSuccess);
        var fields = (await sandbox.DeliveredCallbackAsync(tradeNo)).Fields;

        Assert.Equal(0, fields.MatchSignature(["rotated-secret-0001"], SaltPosition.Append));
    }

    [Fact]
    public async Task The_request_notify_url_wins_over_the_default_and_the_override_wins_over_both()
    {
        await using var other = await CallbackReceiver.StartAsync();
        await using var sandbox = await TestSandbox.StartAsync();
        var toRequestUrl = TestTradeNos.New("R");
        var toDefault = TestTradeNos.New("D");
        var toOverride = TestTradeNos.New("O");

        await sandbox.Client.PayoutAsync(toRequestUrl, TestMobiles.ImmediateSuccess, notifyUrl: other.NotifyUrl);
        await sandbox.Client.PayoutAsync(toDefault, TestMobiles.ImmediateSuccess);
        sandbox.Host.Options.NotifyUrlOverride = sandbox.Receiver.NotifyUrl;
        await sandbox.Client.PayoutAsync(toOverride, TestMobiles.ImmediateSuccess, notifyUrl: other.NotifyUrl);
        await Eventually.UntilAsync(
            () => sandbox.Host.Callbacks.Count(c => c.State == CallbackState.Delivered) == 3,
            "three callbacks are delivered");

        Assert.Equal([toRequestUrl], other.Received.Select(r => r.Fields["tradeNo"]));
        Assert.Equal(new[] { toDefault, toOverride }.Order(), sandbox.Receiver.Received.Select(r => r.Fields["tradeNo"]).Order());
    }

    [Fact]
    public async Task Without_any_notify_url_no_callback_is_sent()
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.DefaultNotifyUrl = null);
        var tradeNo = TestTradeNos.New();

        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.ImmediateSuccess);

        var notification = Assert.Single(sandbox.Host.Callbacks);
        Assert.Equal(CallbackState.NoTarget, notification.State);
        Assert.Null(notification.Target);
        Assert.Empty(sandbox.Host.CallbackAttempts);
    }

    [Fact]
    public async Task The_function_key_in_the_notify_url_is_masked_in_the_callback_log()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New();
        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.ImmediateSuccess);

        var received = await sandbox.DeliveredCallbackAsync(tradeNo);

        Assert.Equal(CallbackReceiver.FunctionKey, received.Code);
        var attempt = Assert.Single(sandbox.Host.CallbackAttempts);
        Assert.EndsWith("/api/paypro/notify?code=***", attempt.Target);
        Assert.DoesNotContain(CallbackReceiver.FunctionKey, attempt.Target);
        Assert.DoesNotContain(CallbackReceiver.FunctionKey, sandbox.Host.Callbacks[0].Target);
    }

    [Theory]
    [InlineData("OK", true)]
    [InlineData(" OK\r\n", true)]
    [InlineData("ok", false)]
    [InlineData("OK.", false)]
    [InlineData("{\"result\":\"OK\"}", false)]
    [InlineData("", false)]
    public async Task Only_the_body_OK_counts_as_delivered(string answer, bool delivered)
    {
        await using var sandbox = await TestSandbox.StartAsync();
        sandbox.Receiver.Answer = n => n == 0 ? answer : "OK";
        var tradeNo = TestTradeNos.New();

        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.ImmediateSuccess);
        await sandbox.DeliveredCallbackAsync(tradeNo);

        var attempts = sandbox.Host.CallbackAttempts;
        Assert.Equal(delivered ? CallbackOutcome.Delivered : CallbackOutcome.NotAcknowledged, attempts[0].Outcome);
        Assert.Equal(delivered ? 1 : 2, attempts.Count);
        Assert.Equal(delivered ? 1 : 2, sandbox.Receiver.Received.Count);
    }

    [Fact]
    public async Task An_unanswered_callback_fails_after_the_callback_timeout_and_is_retried()
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.CallbackTimeout = TimeSpan.FromMilliseconds(200));
        sandbox.Receiver.Hang = true;
        var tradeNo = TestTradeNos.New();

        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.ImmediateSuccess);
        await Eventually.UntilAsync(() => sandbox.Host.CallbackAttempts.Count >= 1, "the first attempt ends");
        sandbox.Receiver.Hang = false;
        await sandbox.DeliveredCallbackAsync(tradeNo);

        var first = sandbox.Host.CallbackAttempts[0];
        Assert.Equal(CallbackOutcome.Failed, first.Outcome);
        Assert.Null(first.StatusCode);
        Assert.Contains("timeout", first.ResponseText);
    }

    [Fact]
    public async Task An_unreachable_notify_url_fails_and_is_retried()
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.DefaultNotifyUrl = "http://127.0.0.1:9/notify");
        var tradeNo = TestTradeNos.New();

        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.ImmediateSuccess);
        await Eventually.UntilAsync(() => sandbox.Host.CallbackAttempts.Count >= 2, "the callback is retried");

        Assert.All(sandbox.Host.CallbackAttempts, a => Assert.Equal(CallbackOutcome.Failed, a.Outcome));
    }

    [Fact]
    public async Task A_non_2xx_answer_with_body_OK_still_counts_as_delivered()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        sandbox.Receiver.StatusCode = 500;
        var tradeNo = TestTradeNos.New();

        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.ImmediateSuccess);
        await sandbox.DeliveredCallbackAsync(tradeNo);

        var attempt = Assert.Single(sandbox.Host.CallbackAttempts);
        Assert.Equal(500, attempt.StatusCode);
    }

    [Fact]
    public async Task Every_retry_sends_the_same_body()
    {
        await using var sandbox = await TestSandbox.StartAsync(answer: "FAIL");
        sandbox.Receiver.Answer = n => n < 3 ? "FAIL" : "OK";
        var tradeNo = TestTradeNos.New();

        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.ImmediateSuccess);
        await sandbox.DeliveredCallbackAsync(tradeNo);

        Assert.Equal(4, sandbox.Receiver.Received.Count);
        Assert.Single(sandbox.Receiver.Received.Select(r => r.Body).Distinct());
        Assert.Equal([1, 2, 3, 4], sandbox.Host.CallbackAttempts.Select(a => a.Attempt));
    }
}
