using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;

namespace Paypro.Testing;

/// <summary>
/// The clock of an end-to-end run: a <see cref="FakeTimeProvider"/> that keeps pace with the wall clock, so waits on
/// real sockets (a request timeout, a hung Paypro) still end, and that a test moves ahead with <see cref="Skip"/>
/// where it would otherwise wait for time itself to pass: a grace period, a back-off, a transaction the sandbox
/// keeps processing. Timers created on it fire when it reaches their due time, by either route.
/// </summary>
/// <remarks>
/// One pump, shared by every clock of the process, moves each live clock up to the wall clock every few
/// milliseconds (on the thread pool, so a slow timer callback holds back only its own clock). A clock nothing
/// references any more drops out of the pump, so a test need not dispose it.
/// </remarks>
public sealed class TestClock : FakeTimeProvider
{
    private static readonly TimeSpan PumpInterval = TimeSpan.FromMilliseconds(5);
    private static readonly List<WeakReference<TestClock>> Clocks = [];
    private static readonly ITimer Pump = TimeProvider.System.CreateTimer(_ => PumpAll(), null, PumpInterval, PumpInterval);

    private readonly Lock _gate = new();
    private readonly long _startedAt = Stopwatch.GetTimestamp();
    private readonly DateTimeOffset _start;
    private TimeSpan _skipped;
    private int _catchingUp;

    /// <summary>Starts at the current wall-clock time.</summary>
    public TestClock()
        : this(DateTimeOffset.UtcNow)
    {
    }

    private TestClock(DateTimeOffset start)
        : base(start)
    {
        _start = start;
        GC.KeepAlive(Pump);
        lock (Clocks)
        {
            Clocks.Add(new WeakReference<TestClock>(this));
        }
    }

    /// <summary>How far the tests have moved this clock ahead of the wall clock.</summary>
    public TimeSpan Skipped
    {
        get
        {
            lock (_gate)
            {
                return _skipped;
            }
        }
    }

    /// <summary>Moves the clock <paramref name="by"/> ahead at once, firing every timer that falls due on the way.</summary>
    public void Skip(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        lock (_gate)
        {
            _skipped += by;
            Advance(by);
        }
    }

    private void CatchUp()
    {
        try
        {
            lock (_gate)
            {
                var target = _start + Stopwatch.GetElapsedTime(_startedAt) + _skipped;
                var now = GetUtcNow();
                if (target > now)
                {
                    Advance(target - now);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _catchingUp, 0);
        }
    }

    private static void PumpAll()
    {
        lock (Clocks)
        {
            for (var i = Clocks.Count - 1; i >= 0; i--)
            {
                if (!Clocks[i].TryGetTarget(out var clock))
                {
                    Clocks.RemoveAt(i);
                }
                else if (Interlocked.Exchange(ref clock._catchingUp, 1) == 0)
                {
                    ThreadPool.UnsafeQueueUserWorkItem(static c => c.CatchUp(), clock, preferLocal: false);
                }
            }
        }
    }
}
