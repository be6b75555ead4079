using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Paypro.Functions.Telemetry;

namespace Paypro.Functions.Storage;

/// <summary>
/// Creates the storage clients from the same settings the Functions host reads for <c>AzureWebJobsStorage</c>:
/// a connection string (Azurite locally), or identity-based settings
/// (<c>AzureWebJobsStorage__accountName</c> or <c>__tableServiceUri</c>/<c>__queueServiceUri</c>, with
/// <c>__credential=managedidentity</c> and <c>__clientId</c> for a user-assigned identity).
/// </summary>
internal static class StorageAccount
{
    /// <summary>The connection setting the host and the app share.</summary>
    public const string ConnectionSetting = "AzureWebJobsStorage";

    /// <summary>
    /// Registers <see cref="TableServiceClient"/> and <see cref="QueueServiceClient"/> through the Azure client factory
    /// (<c>AddAzureClients</c>), one of each for the app. Queue clients encode messages as base64, as queue triggers
    /// expect. An identity-based connection gets its credential from the same settings the host reads
    /// (<c>__credential</c>, <c>__clientId</c>), through the factory the host itself uses. The settings are checked at
    /// start-up; a missing or contradictory one stops the app with a message naming it.
    /// </summary>
    public static IServiceCollection AddStorageClients(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(service => service.ServiceType == typeof(StorageAccountSettingsSetup)))
        {
            return services;
        }

        // The settings are read when first needed, not now, so configuration added after this call (tests,
        // local.settings.json) still counts.
        services.AddSingleton(new StorageAccountSettingsSetup(configuration));
        services.AddSingleton<IConfigureOptions<StorageAccountSettings>>(sp => sp.GetRequiredService<StorageAccountSettingsSetup>());
        services.AddSingleton<IValidateOptions<StorageAccountSettings>>(sp => sp.GetRequiredService<StorageAccountSettingsSetup>());
        services.AddOptions<StorageAccountSettings>().ValidateOnStart();

        // One credential for both clients, so a token is fetched once for the account; made only for an
        // identity-based connection, when a client first needs it.
        services.AddSingleton(sp => new StorageCredential(CreateCredential(sp, configuration)));
        services.AddAzureClients(azure =>
        {
            azure.AddClient<TableServiceClient, TableClientOptions>((options, sp) =>
            {
                var settings = sp.GetRequiredService<IOptions<StorageAccountSettings>>().Value;
                return settings.ConnectionString is { } connectionString
                    ? new TableServiceClient(connectionString, options)
                    : new TableServiceClient(settings.TableServiceUri!, sp.GetRequiredService<StorageCredential>().Value, options);
            });
            azure.AddClient<QueueServiceClient, QueueClientOptions>((options, sp) =>
            {
                var settings = sp.GetRequiredService<IOptions<StorageAccountSettings>>().Value;
                var logger = sp.GetService<ILoggerFactory>()?.CreateLogger(typeof(StorageAccount).FullName!) ?? NullLogger.Instance;
                QueueServiceClient? client = null;
                options.MessageDecodingFailed += args => MoveUndecodableToPoisonAsync(client!, args, logger);
                client = settings.ConnectionString is { } connectionString
                    ? new QueueServiceClient(connectionString, options)
                    : new QueueServiceClient(settings.QueueServiceUri!, sp.GetRequiredService<StorageCredential>().Value, options);
                return client;
            }).ConfigureOptions(options => options.MessageEncoding = QueueMessageEncoding.Base64);
        });
        return services;
    }

    /// <summary>
    /// The credential of an identity-based connection, made from <c>AzureWebJobsStorage__credential</c>,
    /// <c>__clientId</c> and their siblings by the Azure client factory, as the host makes its own: a managed identity
    /// (user-assigned with a client id) for <c>managedidentity</c>, <c>DefaultAzureCredential</c> otherwise.
    /// </summary>
    private static TokenCredential CreateCredential(IServiceProvider services, IConfiguration configuration) =>
        services.GetRequiredService<AzureComponentFactory>().CreateTokenCredential(configuration.GetSection(ConnectionSetting));

    /// <summary>
    /// A received message that is not base64 was put there by a producer that skipped the encoding queue
    /// triggers expect. It can never be processed, and without this handler the SDK would fail the whole
    /// batch it came in, so it goes straight to the poison queue with its text as received.
    /// </summary>
    private static async Task MoveUndecodableToPoisonAsync(
        QueueServiceClient queues,
        QueueMessageDecodingFailedEventArgs args,
        ILogger logger)
    {
        // A poison queue's undecodable messages stay where they are (and are left out of what was read):
        // moving them on to a poison queue of the poison queue would only hide them.
        if (args.ReceivedMessage is not { } message
            || args.Queue.Name.EndsWith(Configuration.QueueNames.PoisonSuffix, StringComparison.Ordinal))
        {
            return;
        }
        var poison = queues.GetQueueClient(Configuration.QueueNames.PoisonOf(args.Queue.Name));
        if (args.IsRunningSynchronously)
        {
            poison.CreateIfNotExists(cancellationToken: args.CancellationToken);
            poison.SendMessage(message.Body, cancellationToken: args.CancellationToken);
            args.Queue.DeleteMessage(message.MessageId, message.PopReceipt, args.CancellationToken);
        }
        else
        {
            await poison.CreateIfNotExistsAsync(cancellationToken: args.CancellationToken).ConfigureAwait(false);
            await poison.SendMessageAsync(message.Body, cancellationToken: args.CancellationToken).ConfigureAwait(false);
            await args.Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, args.CancellationToken).ConfigureAwait(false);
        }
        logger.MessagePoisoned(
            message.MessageId,
            args.Queue.Name,
            poison.Name,
            "its text is not base64, the encoding queue triggers expect.");
    }
}

/// <summary>The credential of an identity-based storage connection, shared by the table and queue clients.</summary>
internal sealed record StorageCredential(TokenCredential Value);

/// <summary>The storage account settings, as read from <c>AzureWebJobsStorage</c> and its <c>__</c> children.</summary>
internal sealed class StorageAccountSettings
{
    public string? ConnectionString { get; set; }
    public string? AccountName { get; set; }
    public Uri? TableServiceUri { get; set; }
    public Uri? QueueServiceUri { get; set; }
    public string? Credential { get; set; }
    internal List<string> Errors { get; } = [];

    public bool UsesManagedIdentity => string.Equals(Credential, "managedidentity", StringComparison.OrdinalIgnoreCase);
}

internal sealed class StorageAccountSettingsSetup(IConfiguration configuration) :
    IConfigureOptions<StorageAccountSettings>, IValidateOptions<StorageAccountSettings>
{
    private const string Setting = StorageAccount.ConnectionSetting;

    public void Configure(StorageAccountSettings settings)
    {
        var section = configuration.GetSection(Setting);
        settings.ConnectionString = section.Value is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
        settings.AccountName = Text(section["accountName"]);
        settings.Credential = Text(section["credential"]);
        settings.TableServiceUri = ServiceUri(settings, "tableServiceUri", "table");
        settings.QueueServiceUri = ServiceUri(settings, "queueServiceUri", "queue");
    }

    public ValidateOptionsResult Validate(string? name, StorageAccountSettings settings)
    {
        var errors = new List<string>(settings.Errors);
        if (settings.ConnectionString is null)
        {
            if (settings.TableServiceUri is null && settings.QueueServiceUri is null && errors.Count == 0)
            {
                errors.Add(
                    $"Storage is not configured: set {Setting} to a connection string (locally UseDevelopmentStorage=true for Azurite), " +
                        $"or {Setting}__accountName for identity-based access (with {Setting}__credential=managedidentity " +
                        $"and {Setting}__clientId for a user-assigned identity).");
            }
            else if (settings.TableServiceUri is null || settings.QueueServiceUri is null)
            {
                var missing = settings.TableServiceUri is null ? "tableServiceUri" : "queueServiceUri";
                errors.Add($"{Setting}__{missing} is not set: set {Setting}__accountName, " +
                    $"or both {Setting}__tableServiceUri and {Setting}__queueServiceUri.");
            }
            if (settings.Credential is { } credential && !settings.UsesManagedIdentity)
            {
                errors.Add($"{Setting}__credential must be 'managedidentity' or unset; got '{credential}'.");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private Uri? ServiceUri(StorageAccountSettings settings, string key, string service)
    {
        if (Text(configuration.GetSection(Setting)[key]) is { } text)
        {
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps)
            {
                return uri;
            }
            settings.Errors.Add(
                $"{Setting}__{key} must be an absolute https URI such as https://account.{service}.core.windows.net; got '{text}'.");
            return null;
        }
        if (settings.AccountName is { } account)
        {
            if (account.Length is < 3 or > 24 || !account.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)))
            {
                settings.Errors.Add(
                    $"{Setting}__accountName must be a storage account name (3-24 lowercase letters and digits); got '{account}'.");
                return null;
            }
            return new Uri($"https://{account}.{service}.core.windows.net");
        }
        return null;
    }

    private static string? Text(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
