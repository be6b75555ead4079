using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Paypro.Functions.Telemetry;

/// <summary>
/// OpenTelemetry for the app: its spans and metrics (<see cref="TransactionTracing.SourceName"/>,
/// <see cref="FunctionsMetrics.MeterName"/>) and the client library's (<see cref="PayproTelemetry.SourceName"/>),
/// and its logs, exported to Application Insights when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set (with the app's
/// identity when the authentication string asks for Entra ID), to an OTLP endpoint when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, and to the console when <c>Telemetry:Console</c> is true.
/// </summary>
internal static class PayproTelemetryExtensions
{
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AuthenticationStringSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string ConsoleSetting = "Telemetry:Console";

    public static IOpenTelemetryBuilder AddPayproTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var exporters = new Exporters(
            configuration[ConnectionStringSetting],
            Credential(configuration[AuthenticationStringSetting], configuration["AZURE_CLIENT_ID"]),
            !string.IsNullOrWhiteSpace(configuration[OtlpEndpointSetting]),
            string.Equals(configuration[ConsoleSetting], "true", StringComparison.OrdinalIgnoreCase));

        var builder = services.AddOpenTelemetry();
        builder.WithTracing(tracing =>
        {
            tracing.AddSource(TransactionTracing.SourceName, PayproTelemetry.SourceName);
            exporters.AddTo(
                configure => tracing.AddAzureMonitorTraceExporter(configure),
                () => tracing.AddOtlpExporter(),
                () => tracing.AddConsoleExporter());
        });
        // With the worker's OpenTelemetry defaults the host leaves the worker's logs to the worker, so the app's log
        // lines (the PAYPRO_* alert markers among them) are exported here, to the same places as its traces.
        builder.WithLogging(logging => exporters.AddTo(
            configure => logging.AddAzureMonitorLogExporter(configure),
            () => logging.AddOtlpExporter(),
            console: null));
        builder.WithMetrics(metrics =>
        {
            metrics.AddMeter(FunctionsMetrics.MeterName, PayproTelemetry.SourceName);
            exporters.AddTo(
                configure => metrics.AddAzureMonitorMetricExporter(configure),
                () => metrics.AddOtlpExporter(),
                () => metrics.AddConsoleExporter());
        });
        return builder;
    }

    /// <summary>
    /// The identity to send telemetry with: the Bicep turns Application Insights' local (key) authentication off and
    /// sets <c>Authorization=AAD;ClientId=...</c>, so the exporter signs in as the app's user-assigned identity.
    /// </summary>
    private static TokenCredential? Credential(string? authenticationString, string? clientId)
    {
        if (string.IsNullOrWhiteSpace(authenticationString)
            || !authenticationString.Contains("Authorization=AAD", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        foreach (var part in authenticationString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part.StartsWith("ClientId=", StringComparison.OrdinalIgnoreCase))
            {
                clientId = part["ClientId=".Length..];
            }
        }
        return string.IsNullOrWhiteSpace(clientId)
            ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
    }

    /// <summary>
    /// Which exporters the settings turn on, the same for the traces, the logs and the metrics: Application Insights when
    /// there is a connection string, OTLP when an endpoint is set, and the console when it is asked for.
    /// </summary>
    private sealed record Exporters(string? ConnectionString, TokenCredential? Credential, bool Otlp, bool Console)
    {
        /// <summary>Adds the exporters that are on to one signal; <paramref name="console"/> is null for a signal without one.</summary>
        public void AddTo(Action<Action<AzureMonitorExporterOptions>> azureMonitor, Action otlp, Action? console)
        {
            if (!string.IsNullOrWhiteSpace(ConnectionString))
            {
                azureMonitor(Configure);
            }
            if (Otlp)
            {
                otlp();
            }
            if (Console && console is not null)
            {
                console();
            }
        }

        private void Configure(AzureMonitorExporterOptions options)
        {
            options.ConnectionString = ConnectionString;
            if (Credential is not null)
            {
                options.Credential = Credential;
            }
        }
    }
}
