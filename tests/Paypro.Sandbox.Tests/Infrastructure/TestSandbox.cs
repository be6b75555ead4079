namespace Paypro.Sandbox.Tests.Infrastructure;

/// <summary>A sandbox with a callback receiver and a client, fast enough for tests (TimeScale 0.001).</summary>
internal sealed class TestSandbox : IAsyncDisposable
{
    private TestSandbox(SandboxHost host, CallbackReceiver receiver, SandboxClient client)
    {
        Host = host;
        Receiver = receiver;
        Client = client;
    }

    public SandboxHost Host { get; }

    public CallbackReceiver Receiver { get; }

    public SandboxClient Client { get; }

    public static async Task<TestSandbox> StartAsync(
        Action<SandboxOptions>? configure = null,
        TimeProvider? time = null,
        string? answer = null)
    {
        var receiver = await CallbackReceiver.StartAsync(answer);
        void Configure(SandboxOptions options)
        {
            options.TimeScale = 0.001;
            options.DefaultNotifyUrl = receiver.NotifyUrl;
            configure?.Invoke(options);
        }
        var host = time is null ? await SandboxHost.StartAsync(Configure) : await SandboxHost.StartAsync(Configure, time);
        return new TestSandbox(host, receiver, new SandboxClient(host));
    }

    /// <summary>Waits until the callback for <paramref name="tradeNo"/> was delivered and returns what the receiver got.</summary>
    public async Task<ReceivedCallback> DeliveredCallbackAsync(string tradeNo)
    {
        await Eventually.UntilAsync(
            () => Host.Callbacks.Any(n => n.TradeNo == tradeNo && n.State == CallbackState.Delivered),
            $"the callback for {tradeNo} is delivered");
        return Receiver.Received.Last(r => r.Fields["tradeNo"] == tradeNo);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}
