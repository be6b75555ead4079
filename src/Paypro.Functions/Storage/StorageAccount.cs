using System.ComponentModel.DataAnnotations;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;

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

    /// <summary>The name the Azure client factory gives a client registered without one; the client's options go by it.</summary>
    public const string ClientName = "Default";

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
        if (services.Any(service => service.ImplementationType == typeof(StorageAccountSettingsValidator)))
        {
            return services;
        }

        // The settings are read when first needed, not now, so configuration added after this call (tests,
        // local.settings.json) still counts.
        var section = configuration.GetSection(ConnectionSetting);
        services.AddOptions<StorageAccountSettings>()
            .Bind(section)
            .PostConfigure(settings => settings.ReadConnectionString(section.Value))
            .ValidatedBy<StorageAccountSettings, StorageAccountSettingsValidator>();

        // One credential for both clients, so a token is fetched once for the account; made only for an
        // identity-based connection, when a client first needs it.
        services.AddSingleton(sp => new StorageCredential(CreateCredential(sp, configuration)));
        // The SDK's request log (a line per request at Information, a warning per error response) never reaches the
        // app's log below Error unless the settings ask for it, yet while the client factory's listener is on, the
        // logging policy formats every request's and response's headers for it: a few percent of the processor time
        // of a callback. So the storage clients leave that policy out unless the log is asked for.
        var requestLog = PayproFunctionsExtensions.AzureSdkLogRequested(configuration);
        services.AddAzureClients(azure =>
        {
            azure.AddClient<TableServiceClient, TableClientOptions>((options, sp) =>
            {
                var settings = sp.GetRequiredService<IOptions<StorageAccountSettings>>().Value;
                return settings.ConnectionString is { } connectionString
                    ? new TableServiceClient(connectionString, options)
                    : new TableServiceClient(settings.TableEndpoint!, sp.GetRequiredService<StorageCredential>().Value, options);
            }).ConfigureOptions(options => options.Diagnostics.IsLoggingEnabled = requestLog);
            azure.AddClient<QueueServiceClient, QueueClientOptions>((options, sp) =>
            {
                var settings = sp.GetRequiredService<IOptions<StorageAccountSettings>>().Value;
                return settings.ConnectionString is { } connectionString
                    ? new QueueServiceClient(connectionString, options)
                    : new QueueServiceClient(settings.QueueEndpoint!, sp.GetRequiredService<StorageCredential>().Value, options);
            }).ConfigureOptions(options =>
            {
                options.Diagnostics.IsLoggingEnabled = requestLog;
                options.MessageEncoding = QueueMessageEncoding.Base64;
                // The app reads only poison queues (the list and the redrive). A message there that is not base64 stays where
                // it is and is left out of what was read: moving it on would only hide it. A handler that does nothing is what
                // makes the SDK leave it out instead of failing the whole read. A trigger's queue is the host's to read, and
                // the host moves such a message to the poison queue itself.
                options.MessageDecodingFailed += _ => Task.CompletedTask;
            });
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
}

/// <summary>The credential of an identity-based storage connection, shared by the table and queue clients.</summary>
internal sealed record StorageCredential(TokenCredential Value);

/// <summary>
/// The storage account settings, as read from <c>AzureWebJobsStorage</c> (a connection string) and its <c>__</c> children
/// (identity-based access). A setting left blank is unset.
/// </summary>
internal sealed class StorageAccountSettings : IValidatableObject
{
    private const string Setting = StorageAccount.ConnectionSetting;

    /// <summary>The setting's own value, which the binder does not map to a property (<see cref="ReadConnectionString"/>).</summary>
    public string? ConnectionString { get; set; }

    public string? AccountName { get; set; }

    /// <summary>The table endpoint as configured, read as text so that a wrong one gets the message below.</summary>
    public string? TableServiceUri { get; set; }

    public string? QueueServiceUri { get; set; }

    public string? Credential { get; set; }

    public bool UsesManagedIdentity => string.Equals(Text(Credential), "managedidentity", StringComparison.OrdinalIgnoreCase);

    /// <summary>The table endpoint: the one configured, else the account's; null when neither is usable.</summary>
    public Uri? TableEndpoint => Endpoint(TableServiceUri, "table");

    public Uri? QueueEndpoint => Endpoint(QueueServiceUri, "queue");

    public void ReadConnectionString(string? value) => ConnectionString = Text(value);

    /// <summary>
    /// Checked by hand: the settings depend on each other (a connection string, or an account, or both endpoints), and
    /// each message says the value it got, which no annotation can.
    /// </summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        var errors = new List<string>();
        CheckEndpoint(errors, "tableServiceUri", TableServiceUri, "table");
        CheckEndpoint(errors, "queueServiceUri", QueueServiceUri, "queue");
        if ((Text(TableServiceUri) is null || Text(QueueServiceUri) is null) && Text(AccountName) is { } account
            && !IsAccountName(account))
        {
            errors.Add($"{Setting}__accountName must be a storage account name (3-24 lowercase letters and digits); got '{account}'.");
        }
        if (ConnectionString is null)
        {
            if (TableEndpoint is null && QueueEndpoint is null && errors.Count == 0)
            {
                errors.Add(
                    $"Storage is not configured: set {Setting} to a connection string (locally UseDevelopmentStorage=true for Azurite), " +
                        $"or {Setting}__accountName for identity-based access (with {Setting}__credential=managedidentity " +
                        $"and {Setting}__clientId for a user-assigned identity).");
            }
            else if (TableEndpoint is null || QueueEndpoint is null)
            {
                var missing = TableEndpoint is null ? "tableServiceUri" : "queueServiceUri";
                errors.Add($"{Setting}__{missing} is not set: set {Setting}__accountName, " +
                    $"or both {Setting}__tableServiceUri and {Setting}__queueServiceUri.");
            }
            if (Text(Credential) is { } credential && !UsesManagedIdentity)
            {
                errors.Add($"{Setting}__credential must be 'managedidentity' or unset; got '{credential}'.");
            }
        }
        return errors.Select(error => new ValidationResult(error));
    }

    private static void CheckEndpoint(List<string> errors, string key, string? configured, string service)
    {
        if (Text(configured) is { } text && HttpsUri(text) is null)
        {
            errors.Add(
                $"{Setting}__{key} must be an absolute https URI such as https://account.{service}.core.windows.net; got '{text}'.");
        }
    }

    private Uri? Endpoint(string? configured, string service) =>
        Text(configured) is { } text ? HttpsUri(text)
        : Text(AccountName) is { } account && IsAccountName(account) ? new Uri($"https://{account}.{service}.core.windows.net")
        : null;

    private static Uri? HttpsUri(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps ? uri : null;

    private static bool IsAccountName(string account) =>
        account.Length is >= 3 and <= 24 && account.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c));

    private static string? Text(string? value) => OptionsRegistration.Text(value);
}

[OptionsValidator]
internal sealed partial class StorageAccountSettingsValidator : IValidateOptions<StorageAccountSettings>;
