using System.Diagnostics;
using System.Net;
using Paypro.Sandbox.Tests.Infrastructure;

namespace Paypro.Sandbox.Tests.Faults;

/// <summary>Request faults: count-based, per path or global, and whether the request was executed behind them.</summary>
public sealed class RequestFaultTests
{
    [Fact]
    public async Task Latency_delays_the_answer_and_the_request_still_runs()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        sandbox.Host.Faults.Add(new SandboxFault
        {
            Endpoint = PayproPaths.Payout,
            Kind = FaultKind.Latency,
            Delay = TimeSpan.FromMilliseconds(300),
        });
        var tradeNo = TestTradeNos.New();

        var watch = Stopwatch.StartNew();
        var reply = await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success);
        var elapsed = watch.Elapsed;

        Assert.True(elapsed >= TimeSpan.FromMilliseconds(290), $"answered after {elapsed.TotalMilliseconds} ms");
        Assert.Equal("0000", reply.Code);
        Assert.NotNull(sandbox.Host.Ledger.Find(SandboxTransactionKind.Payout, tradeNo));
        var status = Assert.Single(sandbox.Host.Faults.Active);
        Assert.Equal(1, status.Fired);
        Assert.Equal(0, status.Remaining);
    }

    [Fact]
    public async Task Latency_longer_than_the_client_timeout_still_executes()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        sandbox.Host.Faults.Add(new SandboxFault
        {
            Endpoint = PayproPaths.Payout,
            Kind = FaultKind.Latency,
            Delay = TimeSpan.FromMilliseconds(600),
        });
        using var impatient = new SandboxClient(sandbox.Host, TimeSpan.FromMilliseconds(150));
        var tradeNo = TestTradeNos.New();

        await Assert.ThrowsAnyAsync<TaskCanceledException>(() => impatient.PayoutAsync(tradeNo, TestMobiles.Success));

        await Eventually.UntilAsync(
            () => sandbox.Host.Ledger.Find(SandboxTransactionKind.Payout, tradeNo) is not null,
            "the slow request is executed");
        Assert.Equal("0000", Assert.Single(sandbox.Host.Ledger.CreateAttempts(tradeNo)).Code);
    }

    [Theory]
    [InlineData(null, 503)]
    [InlineData(500, 500)]
    [InlineData(504, 504)]
    public async Task HttpError_answers_5xx_without_executing(int? statusCode, int expected)
    {
        await using var sandbox = await TestSandbox.StartAsync();
        sandbox.Host.Faults.Add(new SandboxFault { Endpoint = PayproPaths.Payout, Kind = FaultKind.HttpError, StatusCode = statusCode });
        var tradeNo = TestTradeNos.New();

        var reply = await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success);

        Assert.Equal(expected, (int)reply.Status);
        Assert.Null(sandbox.Host.Ledger.Find(SandboxTransactionKind.Payout, tradeNo));
        var attempt = Assert.Single(sandbox.Host.Ledger.CreateAttempts(tradeNo));
        Assert.Null(attempt.Code);
        Assert.False(attempt.Executed);
        Assert.Equal(FaultKind.HttpError, attempt.Fault);
        Assert.Equal("8000", (await sandbox.Client.QueryPayoutAsync(tradeNo)).Code);
        // The fault was used up and the tradeNo was never taken.
        Assert.Equal("0000", (await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success)).Code);
    }

    [Fact]
    public async Task OrderError_on_every_query_answers_8000_even_for_a_tradeNo_Paypro_has_until_it_is_removed()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var tradeNo = TestTradeNos.New();
        Assert.Equal("0000", (await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success)).Code);
        var id = sandbox.Host.Faults.Add(new SandboxFault
        {
            Endpoint = PayproPaths.QueryPayoutResult,
            Kind = FaultKind.OrderError,
            Count = null,
        });

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("8000", (await sandbox.Client.QueryPayoutAsync(tradeNo)).Code);
        }
        Assert.All(
            sandbox.Host.Ledger.Requests.Where(r => r.Endpoint == PayproPaths.QueryPayoutResult),
            r => Assert.Equal(FaultKind.OrderError, r.Fault));

        Assert.True(sandbox.Host.Faults.Remove(id));
        Assert.Equal("0000", (await sandbox.Client.QueryPayoutAsync(tradeNo)).Code);
    }

    [Fact]
    public async Task SystemError_answers_5000_without_executing()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        sandbox.Host.Faults.Add(new SandboxFault { Endpoint = PayproPaths.Payin, Kind = FaultKind.SystemError });
        var tradeNo = TestTradeNos.New();

        var reply = await sandbox.Client.PayinAsync(tradeNo, TestMobiles.Success, sandbox.Receiver.NotifyUrl);

        Assert.Equal("5000", reply.Code);
        Assert.Null(sandbox.Host.Ledger.Find(SandboxTransactionKind.Payin, tradeNo));
        Assert.Equal(FaultKind.SystemError, Assert.Single(sandbox.Host.Ledger.CreateAttempts(tradeNo)).Fault);
        Assert.Equal("8000", (await sandbox.Client.QueryPayinAsync(tradeNo)).Code);
    }

    [Fact]
    public async Task ExecuteThenHttpError_executes_then_answers_5xx()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        sandbox.Host.Faults.Add(new SandboxFault { Endpoint = PayproPaths.Payout, Kind = FaultKind.ExecuteThenHttpError });
        var tradeNo = TestTradeNos.New();

        var reply = await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success);

        Assert.Equal(HttpStatusCode.BadGateway, reply.Status);
        var attempt = Assert.Single(sandbox.Host.Ledger.CreateAttempts(tradeNo));
        Assert.True(attempt.Executed);
        Assert.Null(attempt.Code);
        Assert.Equal("0000", (await sandbox.Client.QueryPayoutAsync(tradeNo)).Code);
        Assert.Equal("8000", (await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success)).Code);
    }

    [Fact]
    public async Task ExecuteThenTimeout_executes_and_holds_the_answer_until_the_client_gives_up()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        sandbox.Host.Faults.Add(new SandboxFault { Endpoint = PayproPaths.Payout, Kind = FaultKind.ExecuteThenTimeout, Count = 1 });
        using var client = new SandboxClient(sandbox.Host, TimeSpan.FromMilliseconds(500));
        var tradeNo = TestTradeNos.New();

        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<TaskCanceledException>(() => client.PayoutAsync(tradeNo, TestMobiles.Success));

        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(450));
        var entry = sandbox.Host.Ledger.Find(SandboxTransactionKind.Payout, tradeNo);
        Assert.NotNull(entry);
        var attempt = Assert.Single(sandbox.Host.Ledger.CreateAttempts(tradeNo));
        Assert.True(attempt.Executed);
        Assert.Equal(FaultKind.ExecuteThenTimeout, attempt.Fault);
        // The next call is answered normally: the fault was count-based.
        var query = await client.QueryPayoutAsync(tradeNo);
        Assert.Equal(entry.PlatFormTradeNo, query.DataString("platFormTradeNo"));
    }

    [Fact]
    public async Task ExecuteThenAbort_executes_and_drops_the_connection()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        sandbox.Host.Faults.Add(new SandboxFault { Endpoint = PayproPaths.Payout, Kind = FaultKind.ExecuteThenAbort });
        var tradeNo = TestTradeNos.New();

        await Assert.ThrowsAsync<HttpRequestException>(() => sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success));

        Assert.NotNull(sandbox.Host.Ledger.Find(SandboxTransactionKind.Payout, tradeNo));
        Assert.True(Assert.Single(sandbox.Host.Ledger.CreateAttempts(tradeNo)).Executed);
    }

    [Fact]
    public async Task A_fault_hits_exactly_the_next_Count_matching_requests()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        sandbox.Host.Faults.Add(new SandboxFault { Endpoint = PayproPaths.Payout, Kind = FaultKind.SystemError, Count = 2 });

        var codes = new List<string?>();
        for (var i = 0; i < 4; i++)
        {
            codes.Add((await sandbox.Client.PayoutAsync(TestTradeNos.New(), TestMobiles.Success)).Code);
        }

        Assert.Equal(["5000", "5000", "0000", "0000"], codes);
        Assert.Equal(2, sandbox.Host.Ledger.Entries.Count);
    }

    [Fact]
    public async Task A_fault_for_one_path_leaves_the_others_alone()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        sandbox.Host.Faults.Add(new SandboxFault { Endpoint = PayproPaths.QueryPayoutResult, Kind = FaultKind.HttpError, Count = null });
        var tradeNo = TestTradeNos.New();

        var created = await sandbox.Client.PayoutAsync(tradeNo, TestMobiles.Success);
        var first = await sandbox.Client.QueryPayoutAsync(tradeNo);
        var second = await sandbox.Client.QueryPayoutAsync(tradeNo);

        Assert.Equal("0000", created.Code);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.Status);
        Assert.Null(Assert.Single(sandbox.Host.Faults.Active).Remaining);
    }

    [Fact]
    public async Task A_global_fault_hits_every_path_until_removed()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        var id = sandbox.Host.Faults.Add(new SandboxFault { Kind = FaultKind.SystemError, Count = null });

        var balance = await sandbox.Client.BalanceAsync();
        var query = await sandbox.Client.QueryPayoutAsync("ANY");
        Assert.True(sandbox.Host.Faults.Remove(id));
        var after = await sandbox.Client.BalanceAsync();

        Assert.Equal("5000", balance.Code);
        Assert.Equal("5000", query.Code);
        Assert.Equal("0000", after.Code);
        Assert.False(sandbox.Host.Faults.Remove(id));
    }

    [Fact]
    public async Task A_fault_can_target_one_tradeNo()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        sandbox.Host.Faults.Add(new SandboxFault { Kind = FaultKind.SystemError, TradeNo = "TARGET-1", Count = null });

        var other = await sandbox.Client.PayoutAsync("OTHER-1", TestMobiles.Success);
        var target = await sandbox.Client.PayoutAsync("TARGET-1", TestMobiles.Success);

        Assert.Equal("0000", other.Code);
        Assert.Equal("5000", target.Code);
    }

    [Fact]
    public async Task Latency_adds_up_with_an_answer_fault()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        sandbox.Host.Faults.Add(new SandboxFault { Kind = FaultKind.Latency, Delay = TimeSpan.FromMilliseconds(200) });
        sandbox.Host.Faults.Add(new SandboxFault { Kind = FaultKind.SystemError });
        sandbox.Host.Faults.Add(new SandboxFault { Kind = FaultKind.HttpError });

        var watch = Stopwatch.StartNew();
        var first = await sandbox.Client.BalanceAsync();
        var elapsed = watch.Elapsed;
        var second = await sandbox.Client.BalanceAsync();

        Assert.True(elapsed >= TimeSpan.FromMilliseconds(190));
        Assert.Equal("5000", first.Code);
        // The first answer fault decided the first request; the second waited its turn.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.Status);
    }

    [Fact]
    public async Task Probability_with_a_seed_repeats_from_run_to_run()
    {
        async Task<string> RunAsync()
        {
            await using var sandbox = await TestSandbox.StartAsync(o => o.FaultSeed = 42);
            sandbox.Host.Faults.Add(new SandboxFault { Kind = FaultKind.SystemError, Count = null, Probability = 0.5 });
            var codes = new List<string?>();
            for (var i = 0; i < 24; i++)
            {
                codes.Add((await sandbox.Client.BalanceAsync()).Code);
            }
            return string.Join(",", codes);
        }

        var first = await RunAsync();
        var second = await RunAsync();

        Assert.Equal(first, second);
        Assert.Contains("5000", first);
        Assert.Contains("0000", first);
    }

    [Fact]
    public async Task Faults_from_settings_are_active_from_the_start_and_after_a_reset()
    {
        await using var sandbox = await TestSandbox.StartAsync(
            o => o.Faults.Add(new SandboxFault { Endpoint = "/api/balance", Kind = FaultKind.SystemError }));

        Assert.Equal("5000", (await sandbox.Client.BalanceAsync()).Code);
        Assert.Equal("0000", (await sandbox.Client.BalanceAsync()).Code);
        sandbox.Host.Reset();
        Assert.Equal("5000", (await sandbox.Client.BalanceAsync()).Code);
    }

    private static readonly Dictionary<string, SandboxFault> Inconsistent = new()
    {
        ["latency without delay"] = new SandboxFault { Kind = FaultKind.Latency },
        ["count zero"] = new SandboxFault { Kind = FaultKind.HttpError, Count = 0 },
        ["probability above 1"] = new SandboxFault { Kind = FaultKind.HttpError, Probability = 1.5 },
        ["status 404"] = new SandboxFault { Kind = FaultKind.HttpError, StatusCode = 404 },
        ["status on a system error"] = new SandboxFault { Kind = FaultKind.SystemError, StatusCode = 503 },
        ["relative endpoint"] = new SandboxFault { Kind = FaultKind.HttpError, Endpoint = "api/payout" },
        ["reorder of one"] = new SandboxFault { Kind = FaultKind.ReorderCallbacks, Count = 1 },
        ["unknown kind"] = new SandboxFault { Kind = (FaultKind)99 },
    };

    public static TheoryData<string, string> InvalidFaults => new()
    {
        { "latency without delay", "Delay" },
        { "count zero", "Count" },
        { "probability above 1", "Probability" },
        { "status 404", "StatusCode" },
        { "status on a system error", "StatusCode" },
        { "relative endpoint", "Endpoint" },
        { "reorder of one", "ReorderCallbacks" },
        { "unknown kind", "Kind" },
    };

    [Theory]
    [MemberData(nameof(InvalidFaults))]
    public async Task An_inconsistent_fault_is_refused_and_changes_nothing(string fault, string property)
    {
        await using var sandbox = await TestSandbox.StartAsync();

        var error = Assert.Throws<ArgumentException>(() => sandbox.Host.Faults.Add(Inconsistent[fault]));

        Assert.Contains(property, error.Message);
        Assert.Empty(sandbox.Host.Faults.Active);
    }
}
