using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.Functions;
using Paypro.Functions.Hosting;
using Paypro.Functions.Secrets;
using Paypro.Functions.Storage;
using Paypro.Functions.Transactions;

namespace Paypro.Functions;

/// <summary>Wires the Paypro functions: settings, storage, the Paypro client, the functions and their routes.</summary>
public static class PayproFunctionsExtensions
{
    public static WebApplicationBuilder AddPayproFunctions(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.TryAddSingleton(TimeProvider.System);

        services.AddPayproClient();
        services.AddPayproSecrets(configuration);
        services.AddStorageClients(configuration);

        // Bound one by one: the binder source generator (Native AOT) does not handle a generic helper.
        services.AddOptions<NotifyOptions>().Bind(configuration.GetSection(NotifyOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<NotifyOptions>, NotifyOptionsValidator>();
        services.AddOptions<PollOptions>().Bind(configuration.GetSection(PollOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PollOptions>, PollOptionsValidator>();
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.AddOptions<PayproAppOptions>().Bind(configuration.GetSection(PayproClientOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PayproAppOptions>, PayproAppOptionsValidator>();
        services.AddSingleton(QueueNames.From(configuration));

        services.AddSingleton<TransactionStore>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddSingleton<TransactionProcessor>();
        services.AddSingleton<TransactionChecker>();
        services.AddSingleton<TransactionSubmitter>();
        services.AddSingleton<NotifyFunction>();
        services.AddHostedService<StorageInitializer>();
        services.AddHostedService<OutboxDispatchService>();

        services.AddQueueFunction<SubmitPayoutFunction>(SubmitPayoutFunction.Name, QueueNames.PayoutsSetting, QueueNames.DefaultPayouts);
        services.AddQueueFunction<SubmitPayinFunction>(SubmitPayinFunction.Name, QueueNames.PayinsSetting, QueueNames.DefaultPayins);
        services.AddTimerFunction<PollPendingPayoutsFunction>(PollPendingPayoutsFunction.Name, QueueNames.PollScheduleSetting, QueueNames.DefaultPollSchedule);

        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, FunctionsJsonContext.Default));
        return builder;
    }

    /// <summary>Maps the HTTP functions under <c>/api</c>; each route name is its function's name (its function.json folder).</summary>
    public static WebApplication MapPayproFunctions(this WebApplication app)
    {
        var api = app.MapGroup("/api");
        api.MapPost("/" + NotifyFunction.Route, (HttpContext context, NotifyFunction notify) => notify.HandleAsync(context))
            .WithName("PayproNotify");
        api.MapGet("/payouts/{tradeNo}", (string tradeNo, TransactionStore store, CancellationToken cancellationToken) =>
                OperatorFunctions.GetTransactionAsync(TransactionKind.Payout, tradeNo, store, cancellationToken))
            .WithName("GetPayout");
        api.MapGet("/payins/{tradeNo}", (string tradeNo, TransactionStore store, CancellationToken cancellationToken) =>
                OperatorFunctions.GetTransactionAsync(TransactionKind.Payin, tradeNo, store, cancellationToken))
            .WithName("GetPayin");
        api.MapPost("/payouts/{tradeNo}/check", (string tradeNo, TransactionStore store, TransactionChecker checker, CancellationToken cancellationToken) =>
                OperatorFunctions.CheckPayoutAsync(tradeNo, store, checker, cancellationToken))
            .WithName("CheckPayout");
        api.MapGet("/mpesa/{code}", (string code, PayproClient paypro, TransactionStore store, CancellationToken cancellationToken) =>
                OperatorFunctions.MpesaLookupAsync(code, paypro, store, cancellationToken))
            .WithName("MpesaLookup");
        api.MapGet("/balance", (PayproClient paypro, CancellationToken cancellationToken) => OperatorFunctions.GetBalanceAsync(paypro, cancellationToken))
            .WithName("GetBalance");
        return app;
    }
}

/// <summary>Creates the tables and queues at start-up if they are missing.</summary>
internal sealed class StorageInitializer(TransactionStore store, Azure.Storage.Queues.QueueServiceClient queues, QueueNames names, ILogger<StorageInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.CreateTablesAsync(cancellationToken);
        foreach (var queue in new[] { names.Payouts, names.Payins, names.Events })
        {
            await queues.GetQueueClient(queue).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await queues.GetQueueClient(QueueNames.PoisonOf(queue)).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }
        logger.LogInformation("Storage ready: tables and queues {Payouts}, {Payins}, {Events} exist.", names.Payouts, names.Payins, names.Events);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
