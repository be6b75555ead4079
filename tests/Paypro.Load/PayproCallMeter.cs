namespace Paypro.Load;

/// <summary>
/// Meters the app's Paypro queries as Paypro receives them: how many were in flight at once at most, and how many there
/// were. In the app's process a <see cref="Handler"/> sits on the query client, innermost (after the retry handler), so
/// it sees every attempt; for an app in a process of its own, <see cref="PayproProxy"/> reports each query it passes on.
/// </summary>
public sealed class PayproCallMeter
{
    private int _inFlight;
    private int _maxInFlight;
    private long _total;

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);
    public long Total => Interlocked.Read(ref _total);

    /// <summary>A new handler for the client factory (it builds one per handler lifetime); all report here.</summary>
    public DelegatingHandler CreateHandler() => new Handler(this);

    internal void Started()
    {
        var now = Interlocked.Increment(ref _inFlight);
        Interlocked.Increment(ref _total);
        for (var seen = Volatile.Read(ref _maxInFlight); now > seen; seen = Volatile.Read(ref _maxInFlight))
        {
            if (Interlocked.CompareExchange(ref _maxInFlight, now, seen) == seen)
            {
                break;
            }
        }
    }

    internal void Ended() => Interlocked.Decrement(ref _inFlight);

    private sealed class Handler(PayproCallMeter meter) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            meter.Started();
            try
            {
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                meter.Ended();
            }
        }
    }
}
