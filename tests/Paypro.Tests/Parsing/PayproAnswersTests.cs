using System.Text;
using Paypro.Tests.Infrastructure;
using Paypro.Wire;

namespace Paypro.Tests.Parsing;

/// <summary>
/// Paypro's answers, read as the client reads them: the seeds' examples, the variants its tables allow, and malformed ones.
/// </summary>
public sealed class PayproAnswersTests
{
    private static PayproExchange Ok(string body) => new(200, Encoding.UTF8.GetBytes(body), null);

    private static PayproQueryResult Query(string body, string? tradeNo = "00000020") =>
        PayproAnswers.ToQueryResult(Ok(body), tradeNo, "not found");

    [Fact]
    public void The_payout_query_example_reads_as_a_found_failed_transaction()
    {
        var result = Query(PayproExamples.PayoutQueryResponse);

        Assert.Equal(PayproQueryOutcome.Found, result.Outcome);
        Assert.Equal("0000", result.Code);
        Assert.Equal("success", result.Msg);
        Assert.Equal(200, result.HttpStatus);
        var transaction = Assert.IsType<PayproTransaction>(result.Transaction);
        Assert.Equal("5286e98841194687a95d25b5f3be346d", transaction.PlatFormTradeNo);
        Assert.Equal("00000020", transaction.TradeNo);
        Assert.Equal(3.0000m, transaction.Amount);
        Assert.Equal("3.0000", transaction.AmountText);
        Assert.Equal("00029", transaction.Status);
        Assert.Equal(PayproStatusKind.Failed, transaction.Kind);
        Assert.Equal("REJECTED_TRANSACTION", transaction.Message);
        // 18:34:31 in Nairobi (UTC+3) is 15:34:31 UTC.
        Assert.Equal(new DateTimeOffset(2024, 7, 1, 15, 34, 31, TimeSpan.Zero), transaction.SuccessTimeUtc);
        Assert.Equal(TimeSpan.Zero, transaction.SuccessTimeUtc!.Value.Offset);
        Assert.Null(transaction.MpesaReceiptNumber);
    }

    [Fact]
    public void The_mpesa_query_example_carries_the_receipt_number()
    {
        var result = PayproAnswers.ToQueryResult(Ok(PayproExamples.MpesaQueryResponse), expectedTradeNo: null, "not found");

        Assert.Equal(PayproQueryOutcome.Found, result.Outcome);
        Assert.Equal("SHL2S6WAAU", result.Transaction!.MpesaReceiptNumber);
        Assert.Equal("00000020", result.Transaction.TradeNo);
    }

    [Fact]
    public void The_create_and_balance_examples_of_the_notes_are_read()
    {
        var create = PayproAnswers.ToCreateResult(Ok(PayproExamples.CreateResponse));
        Assert.Equal(PayproOutcome.Accepted, create.Outcome);
        Assert.Equal("P2024070118343100001", create.SerialNumber);
        Assert.Equal("0015", create.Status);

        var balance = PayproAnswers.ToBalanceResult(Ok(PayproExamples.BalanceResponse), "/api/balance");
        Assert.Equal(PayproQueryOutcome.Found, balance.Outcome);
        Assert.Equal(12500.50m, balance.AvailableAmount);
        Assert.Equal(0m, balance.FreezeAmount);
        Assert.Equal(300m, balance.UnsettledAmount);
    }

    [Theory]
    [InlineData("\"3.0000\"", "3.0000", 3)]
    [InlineData("3.0000", "3.0000", 3)]
    [InlineData("\"120\"", "120", 120)]
    [InlineData("120", "120", 120)]
    [InlineData("1.5E2", "1.5E2", 150)]
    public void Amount_is_read_as_a_string_or_a_number(string token, string text, int value)
    {
        var result = Query(TestPaypro.Envelope("0000", $$"""{"tradeNo":"00000020","amount":{{token}},"status":"0000"}"""));

        Assert.Equal(text, result.Transaction!.AmountText);
        Assert.Equal(value, result.Transaction.Amount);
    }

    [Fact]
    public void An_amount_that_is_not_a_number_is_kept_as_text_only()
    {
        var result = Query(TestPaypro.Envelope("0000", """{"tradeNo":"00000020","amount":"n/a","status":"0000"}"""));

        Assert.Equal(PayproQueryOutcome.Found, result.Outcome);
        Assert.Equal("n/a", result.Transaction!.AmountText);
        Assert.Null(result.Transaction.Amount);
    }

    [Theory]
    [InlineData("\"timestamp\":1719830071094,\"success\":true")]
    [InlineData("\"timestamp\":\"1719830071094\",\"success\":\"true\"")]
    [InlineData("\"timestamp\":\"1719830071094\",\"success\":\"TRUE\"")]
    [InlineData("\"timestamp\":null,\"success\":null")]
    [InlineData("\"success\":1")]
    [InlineData("\"success\":\"yes\"")]
    public void Timestamp_and_success_are_read_in_any_documented_type(string envelopeFields)
    {
        var body = $$$"""{"msg":"success","code":"0000",{{{envelopeFields}}},"data":""" +
            """{"tradeNo":"00000020","amount":"50","status":"0000","successTime":"2024-07-01 18:34:31"}}""";

        var result = Query(body);

        Assert.Equal(PayproQueryOutcome.Found, result.Outcome);
        Assert.Equal(PayproStatusKind.Succeeded, result.Transaction!.Kind);
    }

    [Fact]
    public void Field_names_are_matched_without_regard_to_case()
    {
        var result = Query("""{"Msg":"success","CODE":"0000","data":{"platformTradeNo":"P1","TradeNo":"00000020","status":"0015"}}""");

        Assert.Equal(PayproQueryOutcome.Found, result.Outcome);
        Assert.Equal("P1", result.Transaction!.PlatFormTradeNo);
        Assert.Equal(PayproStatusKind.Processing, result.Transaction.Kind);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("\"\"")]
    [InlineData("\"2024-07-01T18:34:31\"")]
    [InlineData("\"01/07/2024 18:34\"")]
    public void A_missing_or_unreadable_success_time_is_null(string? token)
    {
        var successTime = token is null ? "" : $",\"successTime\":{token}";
        var result = Query(TestPaypro.Envelope("0000", $$"""{"tradeNo":"00000020","status":"0000"{{successTime}}}"""));

        Assert.Equal(PayproQueryOutcome.Found, result.Outcome);
        Assert.Null(result.Transaction!.SuccessTimeUtc);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("null", "JSON null")]
    [InlineData("<html>502 Bad Gateway</html>", "not a readable JSON envelope")]
    [InlineData("{\"code\":\"0000\"", "not a readable JSON envelope")]
    [InlineData("[]", "not a readable JSON envelope")]
    [InlineData("{\"code\":0,\"msg\":\"success\"}", "not a readable JSON envelope")]
    [InlineData("{\"code\":\"0000\",\"code\":\"8000\"}", "not a readable JSON envelope")]
    [InlineData("{\"code\":\"0000\",\"msg\":\"success\"}", "no data object")]
    [InlineData("{\"code\":\"0000\",\"data\":null}", "no data object")]
    [InlineData("{\"code\":\"0000\",\"data\":\"\"}", "no data object")]
    [InlineData("{\"code\":\"0000\",\"data\":{\"tradeNo\":\"00000020\"}}", "no data.status")]
    [InlineData("{\"code\":\"0000\",\"data\":{\"tradeNo\":\"00000020\",\"status\":15}}", "data object is not readable")]
    [InlineData("{\"code\":\"0000\",\"data\":{\"tradeNo\":\"00000020\",\"status\":\"0000\",\"amount\":{}}}", "data object is not readable")]
    [InlineData("{\"msg\":\"success\",\"data\":{}}", "no code")]
    [InlineData("{\"code\":\"1002\",\"msg\":\"invalid sign\"}", "code 1002: invalid sign")]
    [InlineData("{\"code\":\"5000\",\"msg\":\"system exception\"}", "system exception (code 5000")]
    public void A_malformed_or_unexpected_query_answer_is_unknown(string body, string detail)
    {
        var result = Query(body);

        Assert.Equal(PayproQueryOutcome.Unknown, result.Outcome);
        Assert.Null(result.Transaction);
        Assert.Contains(detail, result.Detail);
    }

    [Fact]
    public void Invalid_utf8_in_an_answer_is_unknown()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"code":"0000","msg":"x","data":{"tradeNo":"00000020","status":"0000"}}""");
        bytes[Array.IndexOf(bytes, (byte)'x')] = 0xFF;

        var result = PayproAnswers.ToQueryResult(new PayproExchange(200, bytes, null), "00000020", "not found");

        Assert.Equal(PayproQueryOutcome.Unknown, result.Outcome);
    }

    [Fact]
    public void Code_8000_on_a_query_is_not_found_not_a_failure()
    {
        var result = Query(TestPaypro.Envelope("8000", msg: "order not exist"));

        Assert.Equal(PayproQueryOutcome.NotFound, result.Outcome);
        Assert.Equal("8000", result.Code);
        Assert.Equal("order not exist", result.Msg);
        Assert.Equal("not found", result.Detail);
        Assert.Null(result.Transaction);
    }

    [Fact]
    public void An_answer_about_another_trade_no_is_not_used()
    {
        var result = Query(TestPaypro.Envelope("0000", """{"tradeNo":"OTHER","status":"0000"}"""));

        Assert.Equal(PayproQueryOutcome.Unknown, result.Outcome);
        Assert.Contains("different tradeNo", result.Detail);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(404)]
    [InlineData(400)]
    public void An_http_error_on_a_query_is_unknown(int status)
    {
        var result = PayproAnswers.ToQueryResult(
            new PayproExchange(status, Encoding.UTF8.GetBytes(TestPaypro.Envelope("8000")), null),
            "T1",
            "not found");

        Assert.Equal(PayproQueryOutcome.Unknown, result.Outcome);
        Assert.Equal(status, result.HttpStatus);
        Assert.Contains($"HTTP {status}", result.Detail);
    }

    [Theory]
    [InlineData("0000", "0015", PayproOutcome.Accepted)]
    [InlineData("0000", "0000", PayproOutcome.Accepted)]
    [InlineData("0000", "00029", PayproOutcome.Refused)]
    [InlineData("0000", "00031", PayproOutcome.Refused)]
    [InlineData("8000", null, PayproOutcome.Refused)]
    [InlineData("5000", null, PayproOutcome.Unknown)]
    [InlineData("1001", null, PayproOutcome.Unknown)]
    [InlineData("1002", null, PayproOutcome.Unknown)]
    [InlineData("1003", null, PayproOutcome.Unknown)]
    [InlineData("9999", null, PayproOutcome.Unknown)]
    public void Create_answers_are_classified_by_code_and_status(string code, string? status, PayproOutcome expected)
    {
        var data = status is null ? null : $$"""{"serialNumber":"SN1","status":"{{status}}","message":"M"}""";

        var result = PayproAnswers.ToCreateResult(Ok(TestPaypro.Envelope(code, data, msg: "m")));

        Assert.Equal(expected, result.Outcome);
        Assert.Equal(code, result.Code);
        Assert.Equal(status, result.Status);
        Assert.Equal(expected == PayproOutcome.Accepted, result.Detail is null);
    }

    [Theory]
    [InlineData("{\"code\":\"0000\",\"msg\":\"success\"}")]
    [InlineData("{\"code\":\"0000\",\"data\":{\"serialNumber\":\"SN1\"}}")]
    [InlineData("{\"code\":\"0000\",\"data\":{\"serialNumber\":\"SN1\",\"status\":\"\"}}")]
    [InlineData("{\"code\":\"0000\",\"data\":{\"status\":15}}")]
    [InlineData("not json")]
    [InlineData("")]
    public void A_create_answer_without_a_readable_status_is_unknown_never_refused(string body)
    {
        var result = PayproAnswers.ToCreateResult(Ok(body));

        Assert.Equal(PayproOutcome.Unknown, result.Outcome);
        Assert.Contains("query the tradeNo", result.Detail);
    }

    [Fact]
    public void Data_next_to_a_code_other_than_0000_is_not_taken_for_a_status()
    {
        var refused = PayproAnswers.ToCreateResult(Ok(TestPaypro.Envelope("8000", """{"serialNumber":"SN1","status":"0000"}""")));
        var unknown = PayproAnswers.ToCreateResult(Ok(TestPaypro.Envelope("5000", """{"status":"0015"}""")));

        Assert.Equal(PayproOutcome.Refused, refused.Outcome);
        Assert.Null(refused.Status);
        Assert.Null(refused.SerialNumber);
        Assert.Equal(PayproOutcome.Unknown, unknown.Outcome);
        Assert.Null(unknown.Status);
    }

    [Theory]
    [InlineData("paymentUrl")]
    [InlineData("checkoutUrl")]
    [InlineData("payUrl")]
    [InlineData("url")]
    public void The_checkout_page_url_is_read_under_each_accepted_name(string field)
    {
        var result = PayproAnswers.ToCreateResult(
            Ok(TestPaypro.Envelope("0000", $$"""{"serialNumber":"SN1","status":"0015","{{field}}":"https://pay.example/c/1"}""")));

        Assert.Equal("https://pay.example/c/1", result.CheckoutUrl);
    }

    [Fact]
    public void A_failure_in_transit_is_unknown_with_the_reason()
    {
        var result = PayproAnswers.ToCreateResult(PayproExchange.Failed("The request timed out"));

        Assert.Equal(PayproOutcome.Unknown, result.Outcome);
        Assert.Null(result.HttpStatus);
        Assert.StartsWith("The request timed out.", result.Detail);
    }

    [Theory]
    [InlineData(404, PayproQueryOutcome.NotFound, "BalancePath")]
    [InlineData(500, PayproQueryOutcome.Unknown, "HTTP 500")]
    public void A_balance_path_that_does_not_exist_is_reported_as_such(int status, PayproQueryOutcome outcome, string detail)
    {
        var result = PayproAnswers.ToBalanceResult(new PayproExchange(status, [], null), "/api/balance");

        Assert.Equal(outcome, result.Outcome);
        Assert.Contains(detail, result.Detail);
    }

    [Theory]
    [InlineData("{\"code\":\"0000\",\"data\":{\"freezeAmount\":\"1\"}}", "availableAmount")]
    [InlineData("{\"code\":\"1003\",\"msg\":\"bad\"}", "code 1003")]
    [InlineData("{\"code\":\"8000\"}", "code 8000")]
    [InlineData("oops", "not a readable JSON envelope")]
    public void An_unusable_balance_answer_is_unknown(string body, string detail)
    {
        var result = PayproAnswers.ToBalanceResult(Ok(body), "/api/balance");

        Assert.Equal(PayproQueryOutcome.Unknown, result.Outcome);
        Assert.Null(result.AvailableAmount);
        Assert.Contains(detail, result.Detail);
    }
}
