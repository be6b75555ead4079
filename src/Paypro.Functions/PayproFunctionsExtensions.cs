using Microsoft.Extensions.DependencyInjection.Extensions;
using Paypro.Functions.Configuration;
using Paypro.Functions.Http;
using Paypro.Functions.Operations;
using Paypro.Functions.Outbox;
using Paypro.Functions.Secrets;
using Paypro.Functions.Storage;
using Paypro.Functions.Transactions;

namespace Paypro.Functions;

/// <summary>
/// Wires the engine the functions call: settings, storage, secrets, the Paypro client and the transaction
/// services. The same registration serves the Functions host, the development host and tests.
/// </summary>
public static class PayproFunctionsExtensions
{
    /// <summary>The log category prefix of the Azure SDK's own logs (Azure.Core, Azure.Identity, ...).</summary>
    public const string AzureSdkLogCategory = "Azure";

    /// <summary>The setting that overrides the level of the Azure SDK's logs (Error by default).</summary>
    public const string AzureSdkLogLevelSetting = "Logging:LogLevel:" + AzureSdkLogCategory;

    /// <summary>
    /// Whether the settings ask for the Azure SDK's logs below Error: a level for its category or a narrower one
    /// (<c>Logging__LogLevel__Azure</c>, <c>Logging__LogLevel__Azure.Core</c>, ...).
    /// </summary>
    internal static bool AzureSdkLogRequested(IConfiguration configuration) =>
        configuration.GetSection("Logging:LogLevel").GetChildren().Any(level =>
            level.Key.Equals(AzureSdkLogCategory, StringComparison.OrdinalIgnoreCase)
            || level.Key.StartsWith(AzureSdkLogCategory + ".", StringComparison.OrdinalIgnoreCase));

    public static IServiceCollection AddPayproFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);

        services.AddPayproClient();
        services.AddPayproSecrets(configuration);
        services.AddStorageClients(configuration);

        // AddAzureClients forwards the Azure SDK's own logs: a line per request at Information, and a warning per
        // error response, the ones the app expects included (a lost ETag race, an intake row that exists already).
        // Only its errors by default; Logging__LogLevel__Azure (or a narrower category, Azure.Core) brings the rest.
        if (configuration[AzureSdkLogLevelSetting] is null)
        {
            services.AddLogging(logging => logging.AddFilter(AzureSdkLogCategory, LogLevel.Error));
        }

        // host.json beside the worker, read once at start-up: the poll must end within its functionTimeout.
        services.TryAddSingleton(_ => FunctionTimeout.Read(configuration));
        // Each settings type is bound here, where the binder's source generator sees its type (OptionsRegistration).
        services.AddOptions<NotifyOptions>()
            .Bind(configuration.GetSection(NotifyOptions.SectionName))
            .ValidatedBy<NotifyOptions, NotifyOptionsValidator>();
        services.AddOptions<PollOptions>()
            .Bind(configuration.GetSection(PollOptions.SectionName))
            .ValidatedBy<PollOptions, PollOptionsValidator>();
        services.AddOptions<StorageOptions>()
            .Bind(configuration.GetSection(StorageOptions.SectionName))
            .ValidatedBy<StorageOptions, StorageOptionsValidator>();
        services.AddOptions<PayproAppOptions>()
            .Bind(configuration.GetSection(PayproAppOptions.SectionName))
            .ValidatedBy<PayproAppOptions, PayproAppOptionsValidator>();
        services.AddOptions<AuditOptions>()
            .Bind(configuration.GetSection(AuditOptions.SectionName))
            .ValidatedBy<AuditOptions, AuditOptionsValidator>();
        services.AddOptions<ReconcileOptions>()
            .Bind(configuration.GetSection(ReconcileOptions.SectionName))
            .ValidatedBy<ReconcileOptions, ReconcileOptionsValidator>();
        services.AddOptions<SubmitOptions>()
            .Bind(configuration.GetSection(SubmitOptions.SectionName))
            .ValidatedBy<SubmitOptions, SubmitOptionsValidator>();
        services.AddOptions<ControlsOptions>()
            .Bind(configuration.GetSection(ControlsOptions.SectionName))
            .ValidatedBy<ControlsOptions, ControlsOptionsValidator>();
        QueueNames.Register(services, configuration);

        services.AddSingleton<IndexPartitions>();
        services.AddSingleton<ITransactionStore, TransactionStore>();
        // The outbox rows live in the transaction's partition: its port is the transaction store, whichever is registered.
        services.AddSingleton<IOutboxStore>(sp => sp.GetRequiredService<ITransactionStore>());
        services.AddSingleton<IDueIndex, DueIndex>();
        services.AddSingleton<ICreationIndex, CreationIndex>();
        services.AddSingleton<IOperationsStore, OperationsStore>();
        services.AddSingleton<IReconciliationStore, ReconciliationStore>();
        services.AddSingleton<IControlsStore, ControlsStore>();
        services.AddSingleton<PayoutControls>();
        services.AddSingleton<HeldPayouts>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddSingleton<TransactionProcessor>();
        services.AddSingleton<QueryChannel>();
        services.AddSingleton<TransactionChecker>();
        services.AddSingleton<TransactionSubmitter>();
        services.AddSingleton<TransactionPoller>();
        services.AddSingleton<NotifyHandler>();
        services.AddSingleton<StorageProvisioner>();
        services.AddSingleton<TransactionLists>();
        services.AddSingleton<HttpIntake>();
        services.AddSingleton<PoisonQueues>();
        services.AddSingleton<AuditRetention>();
        services.AddSingleton<PendingGauges>();
        services.AddSingleton<Reconciliation>();
        services.AddSingleton<ReconciliationReports>();

        services.ConfigureHttpJsonOptions(options =>
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, FunctionsJsonContext.Default));
        return services;
    }
}
