using System.Diagnostics;

namespace Paypro.Functions.Tests.Infrastructure;

/// <summary>Waits for a condition by polling it until a deadline, instead of sleeping for a guessed time.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, timeout);

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting until {what}.");
            }
            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Checks that a condition holds at every poll for a whole period: for "this must not happen" assertions.</summary>
    public static async Task HoldsForAsync(Func<Task<bool>> condition, string what, TimeSpan period)
    {
        var clock = Stopwatch.StartNew();
        do
        {
            Assert.True(await condition(), $"Expected {what} for {period.TotalSeconds:0.#} s; it stopped holding after {clock.Elapsed.TotalSeconds:0.##} s.");
            await Task.Delay(PollInterval);
        }
        while (clock.Elapsed < period);
    }
}
