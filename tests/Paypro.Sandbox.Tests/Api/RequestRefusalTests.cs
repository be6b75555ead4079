using System.Text.Json;
using Paypro.Sandbox.Tests.Infrastructure;

namespace Paypro.Sandbox.Tests.Api;

/// <summary>Requests a gateway refuses get a request-level error and change nothing.</summary>
public sealed class RequestRefusalTests
{
    [Fact]
    public async Task Wrong_sign_is_refused_with_1002_and_nothing_is_executed()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New();
        var fields = SandboxClient.Fields(
            ("amount", "50"),
            ("mobile", TestMobiles.Success),
            ("timestamp", SandboxClient.Timestamp()),
            ("tradeNo", tradeNo));

        var reply = await sandbox.Client.PostAsync(PayproPaths.Payout, fields, secret: "not-the-secret");

        Assert.Equal("1002", reply.Code);
        Assert.Equal(JsonValueKind.False, reply.Root.GetProperty("success").ValueKind);
        AssertNothingExecuted(sandbox.Host, tradeNo, "1002");
    }

    [Fact]
    public async Task A_field_changed_after_signing_is_refused()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New();
        var timestamp = SandboxClient.Timestamp();
        var sign = PayproSignature.Compute(
            SandboxClient.Fields(("amount", "50"), ("mobile", TestMobiles.Success), ("timestamp", timestamp), ("tradeNo", tradeNo)),
            sandbox.Host.Options.AppSecret);

        var reply = await sandbox.Client.PostAsync(
            PayproPaths.Payout,
            SandboxClient.Fields(("amount", "5000"), ("mobile", TestMobiles.Success), ("timestamp", timestamp), ("tradeNo", tradeNo)),
            sign: sign);

        Assert.Equal("1002", reply.Code);
        AssertNothingExecuted(sandbox.Host, tradeNo, "1002");
    }

    [Fact]
    public async Task Missing_sign_is_refused_with_1002()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New();
        var body = SandboxClient.Json(
            SandboxClient.Fields(
                ("amount", "50"),
                ("mobile", TestMobiles.Success),
                ("timestamp", SandboxClient.Timestamp()),
                ("tradeNo", tradeNo)),
            sign: null);

        var reply = await sandbox.Client.PostRawAsync(PayproPaths.Payout, body);

        Assert.Equal("1002", reply.Code);
        Assert.Equal("sign is missing", reply.Msg);
        AssertNothingExecuted(sandbox.Host, tradeNo, "1002");
    }

    [Fact]
    public async Task Upper_case_sign_is_refused()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New();
        var fields = SandboxClient.Fields(
            ("amount", "50"),
            ("mobile", TestMobiles.Success),
            ("timestamp", SandboxClient.Timestamp()),
            ("tradeNo", tradeNo));
        var sign = PayproSignature.Compute(fields, sandbox.Host.Options.AppSecret).ToUpperInvariant();

        var reply = await sandbox.Client.PostAsync(PayproPaths.Payout, fields, sign: sign);

        Assert.Equal("1002", reply.Code);
        AssertNothingExecuted(sandbox.Host, tradeNo, "1002");
    }

    [Fact]
    public async Task The_salt_position_follows_the_setting()
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.SaltPosition = SaltPosition.Prepend);
        var appended = TestTradeNos.New();
        var prepended = TestTradeNos.New();

        var refused = await sandbox.Client.PostAsync(
            PayproPaths.Payout,
            SandboxClient.Fields(
                ("amount", "50"),
                ("mobile", TestMobiles.Success),
                ("timestamp", SandboxClient.Timestamp()),
                ("tradeNo", appended)),
            salt: SaltPosition.Append);
        var accepted = await sandbox.Client.PostAsync(
            PayproPaths.Payout,
            SandboxClient.Fields(
                ("amount", "50"),
                ("mobile", TestMobiles.Success),
                ("timestamp", SandboxClient.Timestamp()),
                ("tradeNo", prepended)),
            salt: SaltPosition.Prepend);

        Assert.Equal("1002", refused.Code);
        Assert.Equal("0000", accepted.Code);
    }

    [Fact]
    public async Task Every_path_checks_the_sign()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        string[] paths = [.. SandboxPaths.Fixed, sandbox.Host.Options.BalancePath];

        foreach (var path in paths)
        {
            var reply = await sandbox.Client.PostAsync(
                path,
                SandboxClient.Fields(("tradeNo", "X1"), ("code", "SHL2A6WAQU"), ("timestamp", SandboxClient.Timestamp())),
                secret: "wrong");
            Assert.True(reply.Code == "1002", $"{path}: {reply}");
        }
    }

    [Theory]
    [InlineData("9999999999", "merchant does not exist")]
    [InlineData(null, "merchantNo header is missing")]
    public async Task Unknown_or_missing_merchant_is_refused_with_1001(string? merchantNo, string message)
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New();
        var fields = SandboxClient.Fields(
            ("amount", "50"),
            ("mobile", TestMobiles.Success),
            ("timestamp", SandboxClient.Timestamp()),
            ("tradeNo", tradeNo));

        var reply = await sandbox.Client.PostAsync(PayproPaths.Payout, fields, merchantNo: merchantNo);

        Assert.Equal("1001", reply.Code);
        Assert.Equal(message, reply.Msg);
        AssertNothingExecuted(sandbox.Host, tradeNo, "1001");
    }

    [Theory]
    [InlineData("{\"amount\":\"50\"")]
    [InlineData("[1,2]")]
    [InlineData("not json")]
    [InlineData("{\"tradeNo\":\"A\",\"tradeNo\":\"B\"}")]
    [InlineData("{\"tradeNo\":{\"nested\":1}}")]
    [InlineData("")]
    public async Task Malformed_bodies_are_refused_with_1003(string body)
    {
        await using var sandbox = await TestSandbox.StartAsync();

        var reply = await sandbox.Client.PostRawAsync(PayproPaths.Payout, body);

        Assert.Equal("1003", reply.Code);
        Assert.StartsWith("parameter error: ", reply.Msg);
        Assert.Empty(sandbox.Host.Ledger.Entries);
    }

    [Fact]
    public async Task An_oversized_body_is_refused_with_1003()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var fields = SandboxClient.Fields(
            ("amount", "50"),
            ("mobile", TestMobiles.Success),
            ("remark", new string('x', 70_000)),
            ("timestamp", SandboxClient.Timestamp()),
            ("tradeNo", "BIG1"));

        var reply = await sandbox.Client.PostAsync(PayproPaths.Payout, fields);

        Assert.Equal("1003", reply.Code);
        Assert.Contains("larger than", reply.Msg);
        Assert.Empty(sandbox.Host.Ledger.Entries);
    }

    public static TheoryData<string, string?, string?, string?, string> InvalidPayouts => new()
    {
        // field, amount, mobile, tradeNo, expected words in msg
        { "mobile local form", "50", "0712345678", "A1", "mobile" },
        { "mobile not M-Pesa", "50", "254812345678", "A1", "mobile" },
        { "mobile too short", "50", "25471234567", "A1", "mobile" },
        { "mobile with plus", "50", "+254712345678", "A1", "mobile" },
        { "mobile missing", "50", null, "A1", "mobile" },
        { "amount with decimals", "50.5", TestMobiles.Success, "A1", "amount" },
        { "amount 50.00", "50.00", TestMobiles.Success, "A1", "amount" },
        { "amount negative", "-5", TestMobiles.Success, "A1", "amount" },
        { "amount exponent", "5e2", TestMobiles.Success, "A1", "amount" },
        { "amount zero", "0", TestMobiles.Success, "A1", "amount" },
        { "amount missing", null, TestMobiles.Success, "A1", "amount" },
        { "tradeNo missing", "50", TestMobiles.Success, null, "tradeNo" },
        { "tradeNo with spaces", "50", TestMobiles.Success, "A 1", "tradeNo" },
        { "tradeNo too long", "50", TestMobiles.Success, new string('A', 65), "tradeNo" },
    };

    [Theory]
    [MemberData(nameof(InvalidPayouts))]
    public async Task Invalid_payout_fields_are_refused_with_1003(
        string because,
        string? amount,
        string? mobile,
        string? tradeNo,
        string field)
    {
        await using var sandbox = await TestSandbox.StartAsync();

        var reply = await sandbox.Client.PostAsync(
            PayproPaths.Payout,
            SandboxClient.Fields(("amount", amount), ("mobile", mobile), ("timestamp", SandboxClient.Timestamp()), ("tradeNo", tradeNo)));

        Assert.True(reply.Code == "1003", $"{because}: {reply}");
        Assert.Contains(field, reply.Msg);
        Assert.Empty(sandbox.Host.Ledger.Entries);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("1715941383")]
    [InlineData("17159413837200")]
    [InlineData("171594138372x")]
    public async Task A_missing_or_malformed_timestamp_is_refused_with_1003(string? timestamp)
    {
        await using var sandbox = await TestSandbox.StartAsync();

        var reply = await sandbox.Client.PostAsync(
            PayproPaths.Payout,
            SandboxClient.Fields(("amount", "50"), ("mobile", TestMobiles.Success), ("timestamp", timestamp), ("tradeNo", "TS1")));

        Assert.Equal("1003", reply.Code);
        Assert.Contains("timestamp", reply.Msg);
        Assert.Empty(sandbox.Host.Ledger.Entries);
    }

    [Theory]
    [InlineData(PayproPaths.Payin, null)]
    [InlineData(PayproPaths.Payin, "not a url")]
    [InlineData(PayproPaths.PayinConsole, null)]
    [InlineData(PayproPaths.PayinConsole, "ftp://merchant.example/notify")]
    [InlineData(PayproPaths.Payout, "/relative/notify")]
    public async Task NotifyUrl_is_required_for_payins_and_must_be_an_http_url(string path, string? notifyUrl)
    {
        await using var sandbox = await TestSandbox.StartAsync();

        var reply = await sandbox.Client.PostAsync(
            path,
            SandboxClient.Fields(
                ("amount", "50"),
                ("mobile", TestMobiles.Success),
                ("notifyUrl", notifyUrl),
                ("timestamp", SandboxClient.Timestamp()),
                ("tradeNo", "N1")));

        Assert.Equal("1003", reply.Code);
        Assert.Contains("notifyUrl", reply.Msg);
        Assert.Empty(sandbox.Host.Ledger.Entries);
    }

    [Theory]
    [InlineData(PayproPaths.QueryPayoutResult)]
    [InlineData(PayproPaths.QueryPayinResult)]
    public async Task A_status_query_without_tradeNo_is_refused_with_1003(string path)
    {
        await using var sandbox = await TestSandbox.StartAsync();

        var reply = await sandbox.Client.PostAsync(path, SandboxClient.Fields(("timestamp", SandboxClient.Timestamp())));

        Assert.Equal("1003", reply.Code);
    }

    [Theory]
    [InlineData(PayproPaths.QueryPayoutResult)]
    [InlineData(PayproPaths.QueryPayinResult)]
    public async Task A_status_query_for_an_unknown_tradeNo_is_an_order_error(string path)
    {
        await using var sandbox = await TestSandbox.StartAsync();

        var reply = await sandbox.Client.PostAsync(path, SandboxClient.Fields(("tradeNo", "NEVER-SEEN")));

        Assert.Equal("8000", reply.Code);
        Assert.Contains("does not exist", reply.Msg);
    }

    [Theory]
    [InlineData("shl2a6waqu")]
    [InlineData("SHL2A6WAQ")]
    [InlineData(null)]
    public async Task An_invalid_mpesa_code_is_refused_with_1003(string? code)
    {
        await using var sandbox = await TestSandbox.StartAsync();

        var reply = await sandbox.Client.PostAsync(
            PayproPaths.QueryResultByCode,
            SandboxClient.Fields(("code", code), ("timestamp", SandboxClient.Timestamp())));

        Assert.Equal("1003", reply.Code);
    }

    [Fact]
    public async Task A_duplicate_tradeNo_is_refused_with_8000_and_never_executed_twice()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New();

        var first = await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success, amount: "50");
        var second = await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success, amount: "900");

        Assert.Equal("0000", first.Code);
        Assert.Equal("8000", second.Code);
        Assert.Contains("already exists", second.Msg);
        var entry = Assert.Single(sandbox.Host.Ledger.Entries);
        Assert.Equal(50, entry.Amount);
        Assert.Equal([true, false], sandbox.Host.Ledger.CreateAttempts(tradeNo).Select(a => a.Executed));
    }

    [Fact]
    public async Task A_duplicate_is_refused_even_after_the_first_one_failed()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New();
        await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Rejected);
        await Eventually.UntilAsync(
            () => sandbox.Host.Ledger.Find(SandboxTransactionKind.Payout, tradeNo)!.Status == "00029",
            "the payout failed");

        var again = await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success);

        Assert.Equal("8000", again.Code);
        Assert.Single(sandbox.Host.Ledger.Entries);
    }

    [Fact]
    public async Task Racing_duplicates_execute_exactly_once()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New();

        var replies = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success)));

        Assert.Equal(1, replies.Count(r => r.Code == "0000"));
        Assert.Equal(15, replies.Count(r => r.Code == "8000"));
        Assert.Single(sandbox.Host.Ledger.Entries);
        Assert.Equal(16, sandbox.Host.Ledger.CreateAttempts(tradeNo).Count);
    }

    private static void AssertNothingExecuted(SandboxHost host, string tradeNo, string code)
    {
        Assert.Null(host.Ledger.Find(SandboxTransactionKind.Payout, tradeNo));
        var attempt = Assert.Single(host.Ledger.CreateAttempts(tradeNo));
        Assert.Equal(code, attempt.Code);
        Assert.False(attempt.Executed);
        Assert.Equal(10_000_000, host.Ledger.Balance.AvailableAmount);
    }
}
