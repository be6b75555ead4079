using System.Net;
using Paypro.Tests.Infrastructure;

namespace Paypro.Tests.Client;

/// <summary>Each outcome class of each call, as the client reports it.</summary>
public sealed class PayproClientOutcomeTests
{
    private static readonly PayoutCreateOptions Payout = new() { TradeNo = "T-100", Amount = 500, Mobile = "0712345678" };

    private static Task<PayproCreateResult> PayoutAsync(FakePayproHandler handler) => TestPaypro.Client(handler).CreatePayoutAsync(Payout);

    [Theory]
    [InlineData("0015")]
    [InlineData("0000")]
    public async Task A_payout_taken_by_paypro_is_accepted(string status)
    {
        var result = await PayoutAsync(
            TestPaypro.Answer(TestPaypro.Envelope("0000", $$"""{"serialNumber":"SN1","status":"{{status}}"}""")));

        Assert.Equal(PayproOutcome.Accepted, result.Outcome);
        Assert.Equal("0000", result.Code);
        Assert.Equal(status, result.Status);
        Assert.Equal("SN1", result.SerialNumber);
        Assert.Equal(200, result.HttpStatus);
        Assert.Null(result.Detail);
    }

    [Fact]
    public async Task A_payout_with_a_failure_status_is_refused()
    {
        var result = await PayoutAsync(TestPaypro.Answer(
            TestPaypro.Envelope("0000", """{"serialNumber":"SN1","status":"00031","message":"INSUFFICIENT_BALANCE"}""")));

        Assert.Equal(PayproOutcome.Refused, result.Outcome);
        Assert.Equal("00031", result.Status);
        Assert.Equal("INSUFFICIENT_BALANCE", result.StatusMessage);
        Assert.Contains("status 00031: INSUFFICIENT_BALANCE", result.Detail);
    }

    [Fact]
    public async Task A_payout_refused_with_code_8000_is_refused()
    {
        var result = await PayoutAsync(TestPaypro.Answer(TestPaypro.Envelope("8000", msg: "duplicate tradeNo")));

        Assert.Equal(PayproOutcome.Refused, result.Outcome);
        Assert.Equal("8000", result.Code);
        Assert.Equal("duplicate tradeNo", result.Msg);
        Assert.Contains("not executed", result.Detail);
    }

    [Theory]
    [InlineData(HttpStatusCode.OK, "{\"msg\":\"system exception\",\"code\":\"5000\"}", "code 5000")]
    [InlineData(HttpStatusCode.OK, "{\"msg\":\"invalid sign\",\"code\":\"1002\"}", "code 1002")]
    [InlineData(HttpStatusCode.InternalServerError, "{\"msg\":\"boom\",\"code\":\"5000\"}", "HTTP 500")]
    [InlineData(HttpStatusCode.BadGateway, "<html>bad gateway</html>", "HTTP 502")]
    [InlineData(HttpStatusCode.OK, "<html>maintenance</html>", "not a readable JSON envelope")]
    [InlineData(HttpStatusCode.OK, "", "empty")]
    public async Task A_payout_without_a_definite_answer_is_unknown(HttpStatusCode status, string body, string detail)
    {
        var handler = TestPaypro.Answer(body, status);

        var result = await PayoutAsync(handler);

        Assert.Equal(PayproOutcome.Unknown, result.Outcome);
        Assert.Equal((int)status, result.HttpStatus);
        Assert.Contains(detail, result.Detail);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task A_network_error_is_unknown()
    {
        var handler = new FakePayproHandler((_, _) => throw new HttpRequestException("Connection reset by peer"));

        var result = await PayoutAsync(handler);

        Assert.Equal(PayproOutcome.Unknown, result.Outcome);
        Assert.Null(result.HttpStatus);
        Assert.Contains("network", result.Detail);
        Assert.Contains("Connection reset by peer", result.Detail);
    }

    [Fact]
    public async Task The_callers_cancellation_propagates()
    {
        using var cancellation = new CancellationTokenSource();
        var handler = new FakePayproHandler(async (_, token) =>
        {
            await cancellation.CancelAsync();
            await Task.Delay(Timeout.Infinite, token);
            throw new InvalidOperationException("unreachable");
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => TestPaypro.Client(handler).CreatePayoutAsync(Payout, cancellation.Token));
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task A_token_cancelled_before_the_call_sends_nothing()
    {
        var handler = TestPaypro.Answer(TestPaypro.AcceptedCreate);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => TestPaypro.Client(handler).QueryPayoutAsync("T1", new CancellationToken(canceled: true)));
        Assert.Equal(0, handler.Count);
    }

    [Fact]
    public async Task A_query_that_paypro_answers_is_found()
    {
        var result = await TestPaypro.Client(TestPaypro.Answer(Parsing.PayproExamples.PayoutQueryResponse)).QueryPayoutAsync("00000020");

        Assert.Equal(PayproQueryOutcome.Found, result.Outcome);
        Assert.Equal(PayproStatusKind.Failed, result.Transaction!.Kind);
    }

    [Fact]
    public async Task A_query_for_a_trade_no_paypro_does_not_know_is_not_found()
    {
        var result = await TestPaypro.Client(TestPaypro.Answer(TestPaypro.Envelope("8000", msg: "order not exist")))
            .QueryPayinAsync("T-404");

        Assert.Equal(PayproQueryOutcome.NotFound, result.Outcome);
        Assert.Contains("not a failure", result.Detail);
    }

    [Fact]
    public async Task An_mpesa_code_paypro_does_not_know_is_not_found()
    {
        var result = await TestPaypro.Client(TestPaypro.Answer(TestPaypro.Envelope("8000"))).QueryByMpesaCodeAsync("SHL2A6WAQU");

        Assert.Equal(PayproQueryOutcome.NotFound, result.Outcome);
        Assert.Contains("M-Pesa code", result.Detail);
    }

    [Fact]
    public async Task A_query_without_a_usable_answer_is_unknown()
    {
        var handler = new FakePayproHandler((_, _) => throw new HttpRequestException("No route to host"));

        var result = await TestPaypro.Client(handler).QueryPayoutAsync("T1");

        Assert.Equal(PayproQueryOutcome.Unknown, result.Outcome);
        Assert.Contains("No route to host", result.Detail);
    }

    [Fact]
    public async Task A_missing_balance_endpoint_is_not_found_and_names_the_setting()
    {
        var result = await TestPaypro.Client(TestPaypro.Answer("", HttpStatusCode.NotFound)).GetBalanceAsync();

        Assert.Equal(PayproQueryOutcome.NotFound, result.Outcome);
        Assert.Equal(404, result.HttpStatus);
        Assert.Contains("Paypro:BalancePath", result.Detail);
    }
}
