using System.Diagnostics;

namespace Paypro.Testing;

/// <summary>
/// Waits for a condition by polling it until a deadline, instead of sleeping for a guessed time. The one wait of
/// the test projects and the load tool.
/// </summary>
public static class Eventually
{
    /// <summary>How long a wait lasts when the caller gives no timeout.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>Polls <paramref name="condition"/> until it holds.</summary>
    /// <param name="condition">What is awaited.</param>
    /// <param name="what">What is awaited, in words, for the failure message ("the message was deleted").</param>
    /// <param name="timeout">The deadline; <see cref="DefaultTimeout"/> by default.</param>
    /// <exception cref="TimeoutException">The condition did not hold by the deadline.</exception>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout);

    /// <inheritdoc cref="UntilAsync(Func{bool}, string, TimeSpan?)"/>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        while (!await condition().ConfigureAwait(false))
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting until {what}.");
            }
            await Task.Delay(PollInterval).ConfigureAwait(false);
        }
    }

    /// <summary>Polls <paramref name="probe"/> until it returns a value, and returns that value.</summary>
    /// <inheritdoc cref="UntilAsync(Func{bool}, string, TimeSpan?)"/>
    public static async Task<T> UntilAsync<T>(Func<T?> probe, string what, TimeSpan? timeout = null)
        where T : class
    {
        T? value = null;
        await UntilAsync(() => (value = probe()) is not null, what, timeout).ConfigureAwait(false);
        return value!;
    }

    /// <summary>
    /// Checks that a condition holds at every poll for a whole period: for "this must not happen" checks, made
    /// after a positive signal that the work ran.
    /// </summary>
    /// <exception cref="InvalidOperationException">The condition stopped holding within the period.</exception>
    public static async Task HoldsForAsync(Func<Task<bool>> condition, string what, TimeSpan period)
    {
        var clock = Stopwatch.StartNew();
        do
        {
            if (!await condition().ConfigureAwait(false))
            {
                throw new InvalidOperationException(
                    $"Expected {what} for {period.TotalSeconds:0.#} s; "
                        + $"it stopped holding after {clock.Elapsed.TotalSeconds:0.##} s.");
            }
            await Task.Delay(PollInterval).ConfigureAwait(false);
        }
        while (clock.Elapsed < period);
    }
}
