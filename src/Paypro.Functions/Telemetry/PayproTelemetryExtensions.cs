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
        var connectionString = configuration[ConnectionStringSetting];
        var credential = Credential(configuration[AuthenticationStringSetting], configuration["AZURE_CLIENT_ID"]);
        var otlp = !string.IsNullOrWhiteSpace(configuration[OtlpEndpointSetting]);
        var console = string.Equals(configuration[ConsoleSetting], "true", StringComparison.OrdinalIgnoreCase);

        var builder = services.AddOpenTelemetry();
        builder.WithTracing(tracing =>
        {
            tracing.AddSource(TransactionTracing.SourceName, PayproTelemetry.SourceName);
            if (!string.IsNullOrWhiteSpace(connectionString))
            {
                tracing.AddAzureMonitorTraceExporter(options => Configure(options, connectionString, credential));
            }
            if (otlp)
            {
                tracing.AddOtlpExporter();
            }
            if (console)
            {
                tracing.AddConsoleExporter();
            }
        });
        // With the worker's OpenTelemetry defaults the host leaves the worker's logs to the worker, so the app's log
        // lines (the PAYPRO_* alert markers among them) are exported here, to the same places as its traces.
        builder.WithLogging(logging =>
        {
            if (!string.IsNullOrWhiteSpace(connectionString))
            {
                logging.AddAzureMonitorLogExporter(options => Configure(options, connectionString, credential));
            }
            if (otlp)
            {
                logging.AddOtlpExporter();
            }
        });
        builder.WithMetrics(metrics =>
        {
            metrics.AddMeter(FunctionsMetrics.MeterName, PayproTelemetry.SourceName);
            if (!string.IsNullOrWhiteSpace(connectionString))
            {
                metrics.AddAzureMonitorMetricExporter(options => Configure(options, connectionString, credential));
            }
            if (otlp)
            {
                metrics.AddOtlpExporter();
            }
            if (console)
            {
                metrics.AddConsoleExporter();
            }
        });
        return builder;
    }

    private static void Configure(AzureMonitorExporterOptions options, string connectionString, TokenCredential? credential)
    {
        options.ConnectionString = connectionString;
        if (credential is not null)
        {
            options.Credential = credential;
        }
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
}
