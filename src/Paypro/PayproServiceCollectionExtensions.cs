using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Paypro.Wire;
using Polly;
using Polly.Retry;

namespace Paypro;

/// <summary>Registers <see cref="PayproClient"/> and its HTTP clients.</summary>
public static class PayproServiceCollectionExtensions
{
    /// <summary>Answers are small JSON objects; anything bigger is not Paypro and is not buffered.</summary>
    internal const int MaxResponseBytes = 1024 * 1024;

    /// <summary>First delay between query attempts; it grows exponentially, with jitter.</summary>
    internal static readonly TimeSpan QueryRetryDelay = TimeSpan.FromSeconds(2);

    /// <summary>Longest delay between query attempts.</summary>
    internal static readonly TimeSpan QueryMaxRetryDelay = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Registers <see cref="PayproClient"/> (singleton), its options (bound from the <c>Paypro</c>
    /// configuration section when the container has an <see cref="IConfiguration"/>, then
    /// <paramref name="configure"/>; validated at start-up), the <see cref="PayproClient.CreateHttpClientName"/>
    /// client (timeout, never a retry) and the <see cref="PayproClient.QueryHttpClientName"/> client
    /// (standard resilience: retry with exponential backoff and jitter, circuit breaker, timeouts), and
    /// <see cref="TimeProvider.System"/> unless a <see cref="TimeProvider"/> is registered already.
    /// The app registers its own <see cref="IPayproSecretSource"/>.
    /// </summary>
    public static IServiceCollection AddPayproClient(this IServiceCollection services, Action<PayproClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var alreadyAdded = services.Any(d => d.ServiceType == typeof(PayproClient));
        var options = services.AddOptions<PayproClientOptions>();
        if (!alreadyAdded)
        {
            services.AddSingleton<IConfigureOptions<PayproClientOptions>>(sp => new ConfigureNamedOptions<PayproClientOptions>(
                Options.DefaultName,
                o => sp.GetService<IConfiguration>()?.GetSection(PayproClientOptions.SectionName).Bind(o)));
        }
        if (configure is not null)
        {
            options.Configure(configure);
        }
        if (alreadyAdded)
        {
            return services;
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PayproClientOptions>, PayproClientOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        AddCreateHttpClient(services);
        AddQueryHttpClient(services);
        services.AddSingleton(sp => new PayproClient(
            sp.GetRequiredService<IHttpClientFactory>(),
            sp.GetRequiredService<IOptions<PayproClientOptions>>(),
            sp.GetRequiredService<IPayproSecretSource>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<PayproClient>>()));
        return services;
    }

    // RemoveAllResilienceHandlers is marked experimental (EXTEXP0001). It is the only way to undo a handler
    // an app adds to every client, and the package version is pinned centrally, so a change cannot slip in.
#pragma warning disable EXTEXP0001
    private static void AddCreateHttpClient(IServiceCollection services) =>
        services.AddHttpClient(PayproClient.CreateHttpClientName)
            .ConfigureHttpClient(ConfigureHttpClient)
            // The standard resilience handler retries POST by default, and an app may add it to every client
            // (ConfigureHttpClientDefaults). A retried payout can pay twice, so create calls drop any such
            // handler and get a timeout only: an unanswered create call is Unknown, resolved by query.
            .RemoveAllResilienceHandlers()
            .AddResilienceHandler("timeout", static (pipeline, context) =>
                pipeline.AddTimeout(context.ServiceProvider.GetRequiredService<IOptions<PayproClientOptions>>().Value.RequestTimeout));

    private static void AddQueryHttpClient(IServiceCollection services) =>
        services.AddHttpClient(PayproClient.QueryHttpClientName)
            .ConfigureHttpClient(ConfigureHttpClient)
            // An app-wide handler would nest a second retry loop around this one.
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler()
            .Configure(static (resilience, sp) =>
            {
                try
                {
                    ConfigureQueryResilience(resilience, sp.GetRequiredService<IOptions<PayproClientOptions>>().Value);
                }
                catch (OptionsValidationException)
                {
                    // Start-up validation reports the bad Paypro setting itself; repeating it here would only
                    // print the same message twice. No client can be built from invalid options anyway.
                }
            });
#pragma warning restore EXTEXP0001

    private static void ConfigureHttpClient(HttpClient client)
    {
        // The resilience pipelines own the timeouts; HttpClient's own 100 s default would cut a query's retries short.
        client.Timeout = Timeout.InfiniteTimeSpan;
        client.MaxResponseContentBufferSize = MaxResponseBytes;
    }

    internal static void ConfigureQueryResilience(HttpStandardResilienceOptions resilience, PayproClientOptions options)
    {
        var retries = options.QueryMaxRetries;
        resilience.AttemptTimeout.Timeout = options.RequestTimeout;
        resilience.Retry.MaxRetryAttempts = Math.Max(1, retries);
        resilience.Retry.BackoffType = DelayBackoffType.Exponential;
        resilience.Retry.UseJitter = true;
        resilience.Retry.Delay = QueryRetryDelay;
        resilience.Retry.MaxDelay = QueryMaxRetryDelay;
        resilience.Retry.ShouldHandle = retries == 0 ? static _ => PredicateResult.False() : ShouldRetryQueryAsync;
        // Room for every attempt and every delay, and more than one attempt (the pipeline's validation insists).
        resilience.TotalRequestTimeout.Timeout =
            options.RequestTimeout * (retries + 1) + QueryMaxRetryDelay * retries + TimeSpan.FromSeconds(1);
        // The circuit breaker must sample at least two attempt timeouts.
        if (resilience.CircuitBreaker.SamplingDuration < options.RequestTimeout * 2)
        {
            resilience.CircuitBreaker.SamplingDuration = options.RequestTimeout * 2;
        }
    }

    private static async ValueTask<bool> ShouldRetryQueryAsync(RetryPredicateArguments<HttpResponseMessage> args)
    {
        if (HttpClientResiliencePredicates.IsTransient(args.Outcome))
        {
            return true;
        }
        // Paypro reports its own trouble as HTTP 200 with code 5000, documented as "not failed, query again".
        if (args.Outcome.Result is not { IsSuccessStatusCode: true } response)
        {
            return false;
        }
        try
        {
            await response.Content.LoadIntoBufferAsync(MaxResponseBytes, args.Context.CancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(args.Context.CancellationToken).ConfigureAwait(false);
            return PayproAnswers.IsSystemException(body);
        }
        catch (HttpRequestException)
        {
            // Too big or cut off: not a Paypro answer worth asking again for; the client reports it.
            return false;
        }
    }
}
