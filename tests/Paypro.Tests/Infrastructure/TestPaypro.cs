using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Paypro.Tests.Infrastructure;

/// <summary>Shared test values: the golden vectors' secret and clock, and ways to build a client.</summary>
public static class TestPaypro
{
    public const string Secret = "3f2b9c7e1a6d4e0f8b5a2c9d7e1f4a6b";
    public const string MerchantNo = "1234567890";
    public static readonly Uri BaseUrl = new("https://paypro.test/ke-pay");

    /// <summary>The instant whose epoch milliseconds are the vectors' timestamp 1715941383720.</summary>
    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1715941383720);

    public const string AcceptedCreate =
        """{"msg":"success","code":"0000","timestamp":1715941384000,"success":true,"data":{"serialNumber":"SN123","status":"0015"}}""";

    public static PayproClientOptions Options(Action<PayproClientOptions>? configure = null)
    {
        var options = new PayproClientOptions { BaseUrl = BaseUrl, MerchantNo = MerchantNo };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>A client over the handler, without resilience pipelines: for request shapes and answer parsing.</summary>
    public static PayproClient Client(
        HttpMessageHandler handler,
        Action<PayproClientOptions>? configure = null,
        ILogger<PayproClient>? logger = null) =>
        new(
            new SingleHandlerFactory(handler),
            Microsoft.Extensions.Options.Options.Create(Options(configure)),
            new StaticPayproSecretSource(Secret),
            new FakeTimeProvider(Now),
            logger);

    /// <summary>
    /// The client as an app gets it from <see cref="PayproServiceCollectionExtensions.AddPayproClient"/>, over the handler.
    /// </summary>
    public static ServiceProvider Services(
        HttpMessageHandler handler,
        FakeTimeProvider time,
        Action<PayproClientOptions>? configure = null,
        Action<IServiceCollection>? services = null)
    {
        var collection = new ServiceCollection();
        collection.AddSingleton<TimeProvider>(time);
        collection.AddSingleton<IPayproSecretSource>(new StaticPayproSecretSource(Secret));
        services?.Invoke(collection);
        collection.AddPayproClient(o =>
        {
            o.BaseUrl = BaseUrl;
            o.MerchantNo = MerchantNo;
            configure?.Invoke(o);
        });
        collection.AddHttpClient(PayproClient.CreateHttpClientName).ConfigurePrimaryHttpMessageHandler(() => handler);
        collection.AddHttpClient(PayproClient.QueryHttpClientName).ConfigurePrimaryHttpMessageHandler(() => handler);
        return collection.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>
    /// Awaits a call whose progress depends on fake time (timeouts, retry delays): advances the clock in
    /// small steps until the call completes, within a real-time deadline.
    /// </summary>
    public static async Task<T> DriveAsync<T>(Task<T> call, FakeTimeProvider time, TimeSpan? step = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!call.IsCompleted)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The call did not complete; fake time advanced to {time.GetUtcNow():O}.");
            }
            time.Advance(step ?? TimeSpan.FromMilliseconds(500));
            await Task.WhenAny(call, Task.Delay(5));
        }
        return await call;
    }

    public static string Envelope(string code, string? dataJson = null, string msg = "success") =>
        dataJson is null
            ? $$"""{"msg":"{{msg}}","code":"{{code}}","timestamp":1715941384000,"success":{{(code == "0000" ? "true" : "false")}}}"""
            : $$"""{"msg":"{{msg}}","code":"{{code}}","timestamp":""" +
                $$"""1715941384000,"success":{{(code == "0000" ? "true" : "false")}},"data":{{dataJson}}}""";

    public static FakePayproHandler Answer(string body, HttpStatusCode status = HttpStatusCode.OK) => new(status, body);
}
