using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Paypro.Functions.Secrets;

internal static partial class SecretsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Paypro app secret: from Key Vault when <c>KeyVault:VaultUri</c> is set,
    /// otherwise from the plain setting <c>Paypro:AppSecret</c> (local development only), as a
    /// singleton <see cref="IAppSecretStore"/> and <see cref="IPayproSecretSource"/>. The settings
    /// are validated at start-up. The <see cref="SecretClient"/> comes from the Azure client factory
    /// (<c>AddAzureClients</c>); one registered by the caller, before or after this call (a test
    /// double), replaces it.
    /// </summary>
    public static IServiceCollection AddPayproSecrets(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.TryAddSingleton(TimeProvider.System);

        // The validator reads Paypro:AppSecret from the configuration this registration is given, not from the container.
        var validator = new KeyVaultOptionsValidator(configuration);
        var section = configuration.GetSection(KeyVaultOptions.SectionName);
        services.AddOptions<KeyVaultOptions>()
            .Bind(section)
            .PostConfigure(options => validator.CompleteBinding(section, options))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KeyVaultOptions>>(validator));

        // Resolved only when a vault is configured, so a local run never builds a credential.
        if (!services.Any(service => service.ServiceType == typeof(SecretClient)))
        {
            services.AddAzureClients(azure => azure
                .AddClient<SecretClient, SecretClientOptions>((options, sp) =>
                    KeyVaultSecretClientFactory.Create(sp.GetRequiredService<IOptions<KeyVaultOptions>>().Value, options))
                .ConfigureOptions(KeyVaultSecretClientFactory.Configure));
        }
        services.TryAddSingleton(sp => CreateStore(sp, configuration));
        services.TryAddSingleton<IPayproSecretSource>(sp => sp.GetRequiredService<IAppSecretStore>());
        return services;
    }

    // Configuration is read when the store is first needed, not when services are registered, so
    // settings a test or the host adds after registration still count.
    private static IAppSecretStore CreateStore(IServiceProvider services, IConfiguration configuration)
    {
        var options = services.GetRequiredService<IOptions<KeyVaultOptions>>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SecretsServiceCollectionExtensions).FullName!);
        var appSecret = configuration[KeyVaultOptionsValidator.AppSecretKey];

        if (options.Value.VaultUri is not null)
        {
            if (!string.IsNullOrWhiteSpace(appSecret))
            {
                LogAppSecretIgnored(logger);
            }

            return new KeyVaultSecretStore(
                services.GetRequiredService<SecretClient>(),
                options,
                services.GetRequiredService<TimeProvider>(),
                services.GetRequiredService<ILogger<KeyVaultSecretStore>>());
        }

        if (string.IsNullOrWhiteSpace(appSecret))
        {
            // Validation already refuses this; kept so the store can never be built without a secret.
            throw new InvalidOperationException(
                "No Paypro app secret is configured. Set KeyVault:VaultUri, or, for local development only, Paypro:AppSecret.");
        }

        LogPlainSetting(logger);
        return new PlainSettingSecretStore(appSecret);
    }

    [LoggerMessage(EventId = 4110, Level = LogLevel.Warning,
        Message = "No Key Vault configured (KeyVault:VaultUri is empty): using the plain setting Paypro:AppSecret."
            + " Use this only for local development.")]
    internal static partial void LogPlainSetting(ILogger logger);

    [LoggerMessage(EventId = 4111, Level = LogLevel.Warning,
        Message = "Paypro:AppSecret is set but ignored: the Paypro app secret is read from Key Vault (KeyVault:VaultUri)."
            + " Remove Paypro:AppSecret from the app settings.")]
    internal static partial void LogAppSecretIgnored(ILogger logger);
}
