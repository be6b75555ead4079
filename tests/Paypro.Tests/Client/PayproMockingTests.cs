using Moq;

namespace Paypro.Tests.Client;

/// <summary>Code that uses the client can test itself without HTTP: the client mocks, the factory builds results.</summary>
public sealed class PayproMockingTests
{
    [Fact]
    public async Task The_client_can_be_mocked_with_model_factory_results()
    {
        var client = new Mock<PayproClient>(MockBehavior.Strict);
        client.Setup(c => c.CreatePayoutAsync(It.IsAny<PayoutCreateOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(PayproModelFactory.CreateResult(PayproOutcome.Unknown, detail: "timed out"));
        client.Setup(c => c.QueryPayoutAsync("T1", It.IsAny<CancellationToken>()))
            .ReturnsAsync(PayproModelFactory.QueryResult(
                PayproQueryOutcome.Found,
                PayproModelFactory.Transaction("0000", tradeNo: "T1", amount: 50m)));
        client.Setup(c => c.GetBalanceAsync(It.IsAny<CancellationToken>()))
            .ReturnsAsync(PayproModelFactory.BalanceResult(PayproQueryOutcome.Found, availableAmount: 10m));

        var created = await client.Object.CreatePayoutAsync(new PayoutCreateOptions { TradeNo = "T1", Amount = 50, Mobile = "0712345678" });
        var queried = await client.Object.QueryPayoutAsync("T1");
        var balance = await client.Object.GetBalanceAsync();

        Assert.Equal(PayproOutcome.Unknown, created.Outcome);
        Assert.Equal("timed out", created.Detail);
        Assert.Equal(PayproStatusKind.Succeeded, queried.Transaction!.Kind);
        Assert.Equal("50", queried.Transaction.AmountText);
        Assert.Equal(10m, balance.AvailableAmount);
    }

    [Fact]
    public void The_model_factory_sets_every_field()
    {
        var successTime = new DateTimeOffset(2024, 7, 1, 15, 34, 31, TimeSpan.Zero);

        var create = PayproModelFactory.CreateResult(
            PayproOutcome.Refused,
            "8000",
            "dup",
            "SN",
            "00029",
            "REJ",
            "https://pay.example",
            200,
            "why");
        var transaction = PayproModelFactory.Transaction("00029", "T1", "P1", 3m, "3.0000", "REJ", successTime, "SHL2S6WAAU");
        var query = PayproModelFactory.QueryResult(PayproQueryOutcome.Unknown, transaction, "5000", "boom", 200, "why");
        var balance = PayproModelFactory.BalanceResult(PayproQueryOutcome.NotFound, 1m, 2m, 3m, "0000", "ok", 404, "why");

        Assert.Equal(
            (PayproOutcome.Refused, "8000", "dup", "SN", "00029", "REJ", "https://pay.example", (int?)200, "why"),
            (create.Outcome, create.Code, create.Msg, create.SerialNumber, create.Status, create.StatusMessage, create.CheckoutUrl,
                create.HttpStatus, create.Detail));
        Assert.Equal(
            ("00029", "T1", "P1", (decimal?)3m, "3.0000", "REJ", (DateTimeOffset?)successTime, "SHL2S6WAAU", PayproStatusKind.Failed),
            (transaction.Status, transaction.TradeNo, transaction.PlatFormTradeNo, transaction.Amount, transaction.AmountText,
                transaction.Message, transaction.SuccessTimeUtc, transaction.MpesaReceiptNumber, transaction.Kind));
        Assert.Equal(
            (PayproQueryOutcome.Unknown, "5000", "boom", (int?)200, "why"),
            (query.Outcome, query.Code, query.Msg, query.HttpStatus, query.Detail));
        Assert.Same(transaction, query.Transaction);
        Assert.Equal(
            (PayproQueryOutcome.NotFound, (decimal?)1m, (decimal?)2m, (decimal?)3m, "0000", "ok", (int?)404, "why"),
            (balance.Outcome, balance.AvailableAmount, balance.FreezeAmount, balance.UnsettledAmount, balance.Code, balance.Msg,
                balance.HttpStatus, balance.Detail));
    }
}
