using System.Text;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Moq;
using Paypro.Functions.Configuration;
using Paypro.Functions.Functions;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.Functions;

/// <summary>
/// Each <c>[Function]</c> method called directly, the way the worker calls it, with the argument types the host
/// hands over (a <see cref="QueueMessage"/> from <see cref="QueuesModelFactory"/>, a <see cref="TimerInfo"/>, a real
/// <see cref="HttpRequest"/>): every Azure entry point reaches the engine with what it was given.
/// </summary>
public sealed class FunctionEntryPointTests
{
    private static readonly QueueNames Names = new() { Payouts = "payouts-q", Payins = "payins-q", Events = "events-q" };

    public static TheoryData<long> DequeueCounts => new() { 1, 5 };

    [Theory]
    [MemberData(nameof(DequeueCounts))]
    public async Task SubmitPayout_hands_the_message_with_its_id_and_dequeue_count_to_the_submitter_as_a_payout(long dequeueCount)
    {
        var submitter = new Mock<TransactionSubmitter> { CallBase = false };
        using var cancellation = new CancellationTokenSource();
        var message = Message(dequeueCount);

        await new SubmitPayout(submitter.Object, Names).Run(message, cancellation.Token);

        submitter.Verify(s => s.SubmitAsync(TransactionKind.Payout, "payouts-q",
            It.Is<QueueMessage>(m => m.MessageId == "m-1" && m.DequeueCount == dequeueCount && m.Body.ToString() == "{\"tradeNo\":\"T-1\"}"),
            cancellation.Token), Times.Once);
    }

    [Theory]
    [MemberData(nameof(DequeueCounts))]
    public async Task SubmitPayin_hands_the_message_to_the_submitter_as_a_payin(long dequeueCount)
    {
        var submitter = new Mock<TransactionSubmitter> { CallBase = false };

        await new SubmitPayin(submitter.Object, Names).Run(Message(dequeueCount), CancellationToken.None);

        submitter.Verify(s => s.SubmitAsync(TransactionKind.Payin, "payins-q", It.Is<QueueMessage>(m => m.DequeueCount == dequeueCount), CancellationToken.None), Times.Once);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    public async Task PollPendingTransactions_runs_one_poll_and_passes_on_whether_it_is_past_due(bool withScheduleStatus, bool pastDue)
    {
        var poller = new Mock<TransactionPoller> { CallBase = false };
        var timer = new TimerInfo { IsPastDue = pastDue };
        if (withScheduleStatus)
        {
            timer.ScheduleStatus = new ScheduleStatus { Last = DateTime.UtcNow.AddMinutes(-1), Next = DateTime.UtcNow.AddMinutes(1), LastUpdated = DateTime.UtcNow };
        }

        var gauges = new Mock<PendingGauges>(null!, null!, Names, TimeProvider.System, null!) { CallBase = false };

        await new PollPendingTransactions(poller.Object, gauges.Object).Run(timer, CancellationToken.None);

        poller.Verify(p => p.PollAsync(pastDue, CancellationToken.None), Times.Once);
        gauges.Verify(g => g.RefreshAsync(CancellationToken.None), Times.Once);
    }

    [Fact]
    public async Task PayproNotify_hands_the_request_to_the_notify_handler_and_answers_what_it_answers()
    {
        var handler = new Mock<NotifyHandler> { CallBase = false };
        var answer = TypedResults.Text("OK");
        var context = Request("POST", "/api/paypro/notify", """{"tradeNo":"T-1"}""");
        handler.Setup(h => h.HandleAsync(context)).ReturnsAsync(answer);

        var result = await new PayproNotify(handler.Object).Run(context.Request);

        Assert.Same(answer, result);
        handler.Verify(h => h.HandleAsync(context), Times.Once);
    }

    [Theory]
    [InlineData(TransactionKind.Payout)]
    [InlineData(TransactionKind.Payin)]
    public async Task GetPayout_and_GetPayin_read_the_record_of_their_kind_with_its_history(TransactionKind kind)
    {
        var store = Store(Record("T-7", kind));
        var request = Request("GET", "/api/x/T-7").Request;

        var result = kind == TransactionKind.Payout
            ? await new GetPayout(store.Object).Run(request, "T-7")
            : await new GetPayin(store.Object).Run(request, "T-7");

        var view = Assert.IsType<Ok<TransactionView>>(Inner(result)).Value!;
        Assert.Equal("T-7", view.TradeNo);
        Assert.Equal("254******678", view.Mobile);
        store.Verify(s => s.GetHistoryPageAsync("T-7", null, OperatorQueries.HistoryPageSize, It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task GetPayout_of_a_payin_is_404_and_a_malformed_tradeNo_is_400_without_a_read()
    {
        var store = Store(Record("T-8", TransactionKind.Payin));
        var request = Request("GET", "/api/payouts/x").Request;

        var wrongKind = await new GetPayout(store.Object).Run(request, "T-8");
        var malformed = await new GetPayout(store.Object).Run(request, "bad tradeNo!");

        Assert.Equal(404, Assert.IsType<ProblemHttpResult>(Inner(wrongKind)).StatusCode);
        Assert.Equal(400, Assert.IsType<ProblemHttpResult>(Inner(malformed)).StatusCode);
        store.Verify(s => s.GetAsync("bad tradeNo!", It.IsAny<CancellationToken>()), Times.Never);
    }

    [Theory]
    [InlineData(TransactionKind.Payout)]
    [InlineData(TransactionKind.Payin)]
    public async Task CheckPayout_and_CheckPayin_check_the_record_they_read(TransactionKind kind)
    {
        var record = Record("T-9", kind);
        var store = Store(record);
        var checker = new Mock<TransactionChecker> { CallBase = false };
        checker.Setup(c => c.CheckAsync(record, It.IsAny<CancellationToken>())).ReturnsAsync(record);
        var request = Request("POST", "/api/x/T-9/check").Request;

        var result = kind == TransactionKind.Payout
            ? await new CheckPayout(store.Object, checker.Object).Run(request, "T-9")
            : await new CheckPayin(store.Object, checker.Object).Run(request, "T-9");

        Assert.IsType<Ok<TransactionView>>(Inner(result));
        checker.Verify(c => c.CheckAsync(record, It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task MpesaLookup_asks_Paypro_by_code_and_GetBalance_asks_for_the_balance()
    {
        var paypro = new Mock<PayproClient> { CallBase = false };
        paypro.Setup(p => p.QueryByMpesaCodeAsync("SHL2A6WAQU", It.IsAny<CancellationToken>()))
            .ReturnsAsync(PayproModelFactory.QueryResult(PayproQueryOutcome.NotFound));
        paypro.Setup(p => p.GetBalanceAsync(It.IsAny<CancellationToken>()))
            .ReturnsAsync(PayproModelFactory.BalanceResult(PayproQueryOutcome.Found, availableAmount: 1500m));
        var request = Request("GET", "/api/x").Request;

        var lookup = await new MpesaLookup(paypro.Object, Store(null).Object).Run(request, "SHL2A6WAQU");
        var balance = await new GetBalance(paypro.Object).Run(request);

        Assert.Equal(404, Assert.IsType<ProblemHttpResult>(Inner(lookup)).StatusCode);
        Assert.Equal(1500m, Assert.IsType<Ok<BalanceView>>(Inner(balance)).Value!.AvailableAmount);
        paypro.Verify(p => p.QueryByMpesaCodeAsync("SHL2A6WAQU", It.IsAny<CancellationToken>()), Times.Once);
    }

    [Theory]
    [InlineData(TransactionKind.Payout)]
    [InlineData(TransactionKind.Payin)]
    public async Task EnqueuePayout_and_EnqueuePayin_hand_the_request_to_the_intake_as_their_kind(TransactionKind kind)
    {
        var intake = new Mock<HttpIntake>(null!, null!, null!, Names, Options.Create(new SubmitOptions()), null!) { CallBase = false };
        var context = Request("POST", "/api/x", "{}");
        intake.Setup(i => i.SubmitAsync(kind, context)).ReturnsAsync(TypedResults.Accepted("/api/x/T-1"));

        var result = kind == TransactionKind.Payout
            ? await new EnqueuePayout(intake.Object).Run(context.Request)
            : await new EnqueuePayin(intake.Object).Run(context.Request);

        Assert.IsType<Accepted>(result);
        intake.Verify(i => i.SubmitAsync(kind, context), Times.Once);
    }

    [Fact]
    public async Task ListTransactions_parses_the_query_and_ListPendingTransactions_reads_the_pending_list()
    {
        var lists = new Mock<TransactionLists>(null!, null!, null!, TimeProvider.System) { CallBase = false };
        lists.Setup(l => l.ListAsync(It.IsAny<TransactionListQuery>(), It.IsAny<CancellationToken>())).ReturnsAsync(new TransactionListPage([], null));
        lists.Setup(l => l.PendingAsync(It.IsAny<CancellationToken>())).ReturnsAsync(new PendingList([], false));
        var good = Request("GET", "/api/transactions");
        good.Request.QueryString = new QueryString("?from=2026-11-24T00:00:00Z&to=2026-11-25T00:00:00Z&kind=payin");
        var bad = Request("GET", "/api/transactions");

        var page = await new ListTransactions(lists.Object).Run(good.Request);
        var refused = await new ListTransactions(lists.Object).Run(bad.Request);
        var pending = await new ListPendingTransactions(lists.Object).Run(Request("GET", "/api/transactions/pending").Request);

        Assert.IsType<Ok<TransactionListPage>>(page);
        Assert.Equal(400, Assert.IsType<ProblemHttpResult>(refused).StatusCode);
        Assert.IsType<Ok<PendingList>>(pending);
        lists.Verify(l => l.ListAsync(It.Is<TransactionListQuery>(q => q.Kind == TransactionKind.Payin && q.From == new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero)),
            It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task The_poison_functions_reach_the_poison_queues_of_the_queue_they_name()
    {
        var poison = new Mock<PoisonQueues>(null!, Names, null!, null!, null!) { CallBase = true };
        poison.Setup(p => p.ListAsync("payins-q", It.IsAny<CancellationToken>())).ReturnsAsync(new PoisonListing("payins-q-poison", [], false));
        poison.Setup(p => p.RedriveAsync("payouts-q", It.Is<RedriveRequest>(r => r.All), It.IsAny<CancellationToken>())).ReturnsAsync(new RedriveReport("payouts-q-poison", []));

        var listing = await new ListPoisonMessages(poison.Object).Run(Request("GET", "/api/poison/payins").Request, "payins");
        var unknown = await new ListPoisonMessages(poison.Object).Run(Request("GET", "/api/poison/events").Request, "events");
        var redrive = await new RedrivePoisonMessages(poison.Object).Run(Request("POST", "/api/poison/payouts/redrive", """{"all":true}""").Request, "payouts");

        Assert.IsType<Ok<PoisonListing>>(Inner(listing));
        Assert.Equal(404, Assert.IsType<ProblemHttpResult>(Inner(unknown)).StatusCode);
        Assert.IsType<Ok<RedriveReport>>(redrive);
        poison.Verify(p => p.RedriveAsync("payouts-q", It.IsAny<RedriveRequest>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PurgeAuditTrail_runs_one_retention_pass(bool withScheduleStatus)
    {
        var retention = new Mock<AuditRetention>(null!, null!, null!, null!, Options.Create(new AuditOptions()), TimeProvider.System, null!) { CallBase = false };
        var timer = new TimerInfo { ScheduleStatus = withScheduleStatus ? new ScheduleStatus { Next = DateTime.UtcNow.AddDays(1) } : null };

        await new PurgeAuditTrail(retention.Object).Run(timer, CancellationToken.None);

        retention.Verify(r => r.PurgeAsync(CancellationToken.None), Times.Once);
    }

    private static QueueMessage Message(long dequeueCount) => QueuesModelFactory.QueueMessage(
        "m-1", "pop-1", new BinaryData("{\"tradeNo\":\"T-1\"}"), dequeueCount, insertedOn: DateTimeOffset.UtcNow.AddSeconds(-5));

    private static DefaultHttpContext Request(string method, string path, string? body = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        if (body is not null)
        {
            context.Request.ContentType = "application/json";
            context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        }
        return context;
    }

    private static TransactionRecord Record(string tradeNo, TransactionKind kind) => new()
    {
        TradeNo = tradeNo,
        Kind = kind,
        State = TransactionState.Submitted,
        Amount = 120,
        Mobile = "254712345678",
        CreatedAt = DateTimeOffset.UtcNow,
        UpdatedAt = DateTimeOffset.UtcNow,
    };

    private static Mock<ITransactionStore> Store(TransactionRecord? record)
    {
        var store = new Mock<ITransactionStore>();
        store.Setup(s => s.GetAsync(It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync((string tradeNo, CancellationToken _) => tradeNo == record?.TradeNo ? record : null);
        store.Setup(s => s.GetHistoryPageAsync(It.IsAny<string>(), It.IsAny<HistoryCursor?>(), It.IsAny<int>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new HistoryPage([], null));
        return store;
    }

    private static IResult Inner(IResult result) => result is INestedHttpResult nested ? nested.Result : result;
}
