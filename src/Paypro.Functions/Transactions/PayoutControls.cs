using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;
using Paypro.Functions.Telemetry;

namespace Paypro.Functions.Transactions;

/// <summary>
/// What the controls decided for a payout: cleared (with what it took from the counts), or held, by which control and why.
/// </summary>
public sealed record Clearance(CountedLimits? Counted, string? HeldBy, string? HeldReason)
{
    /// <summary>Cleared, with nothing counted: no control applies (a payin, or controls that are off).</summary>
    public static readonly Clearance None = new(null, null, null);

    public bool IsHeld => HeldBy is not null;
}

/// <summary>
/// The money controls on payouts: the approval threshold and the limits per Kenya day (UTC+3, as Paypro and the merchant
/// count days). A payout counts from the moment it is cleared to be sent, and is given back when it ends failed or rejected.
/// The counts live in storage (<see cref="IControlsStore"/>), so they hold across instances and restarts. A day's count is
/// spread over <see cref="DayPartitions"/> shares, each in a partition of its own, so no partition takes every payout's
/// write: a payout is counted in one share, chosen at random, out of the room that share was allotted. A share short of
/// room asks the day's pool (which never allots more than the limit) for what it lacks and a chunk more; when the pool has
/// too little left, any share with room enough for the whole payout takes it, and otherwise the payout is held.
/// </summary>
public sealed class PayoutControls
{
    /// <summary>Partitions of a day's count. Fixed: the shares of a day must add up to the limit whatever instance counts.</summary>
    public const int DayPartitions = 16;

    private const string DayRow = "total";
    private const string PoolRow = "pool";

    private readonly IControlsStore _store;
    private readonly ControlsOptions _options;
    private readonly ILogger<PayoutControls> _logger;

    public PayoutControls(IControlsStore store, IOptions<ControlsOptions> options, ILogger<PayoutControls> logger)
    {
        _store = store;
        _options = options.Value;
        _logger = logger;
    }

    public ControlsOptions Options => _options;

    /// <summary>The Kenya day (UTC+3) of <paramref name="at"/>, as <c>yyyyMMdd</c>: it starts at 21:00 UTC.</summary>
    public static string KenyaDay(DateTimeOffset at) => DayKey(KenyaTime.DayOf(at));

    /// <summary>A Kenya day as the counts' keys write it, <c>yyyyMMdd</c>, so that keys sort by day.</summary>
    public static string DayKey(DateOnly day) => day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>The partition of one share of a day's count.</summary>
    public static string DayPartition(string day, int partition) =>
        "day-" + day + "-" + partition.ToString("D2", CultureInfo.InvariantCulture);

    /// <summary>The count of one mobile number on one day: partitions spread by a hash of the number, which is not stored.</summary>
    public static (string Partition, string Row) MobileKey(string day, string mobile)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(mobile)));
        return ("mobile-" + day + "-" + hash[..2], hash[..32]);
    }

    /// <summary>The partition of a day's pool: what it allotted to the shares so far (never more than the limit, releases aside).</summary>
    public static string PoolPartition(string day) => "day-" + day;

    /// <summary>What the pool allots a share beyond its shortfall: a quarter of an equal share, so a day needs few allotments.</summary>
    public static long Chunk(long limit) => Math.Max(1, limit / (4 * DayPartitions));

    /// <summary>
    /// Decides whether a new payout is sent: held for approval above the threshold; otherwise counted against the limits
    /// per mobile number and per day, and held (nothing counted) when it would pass one of them.
    /// </summary>
    public async Task<Clearance> ClearAsync(long amount, string mobile, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var o = _options;
        if (o.ApprovalThreshold is { } threshold && amount > threshold)
        {
            return new Clearance(
                null,
                "approval",
                $"Held for approval: {amount} KES is over Controls:ApprovalThreshold ({threshold} KES).");
        }
        if (!o.CountsDays && !o.CountsMobiles)
        {
            return Clearance.None;
        }
        var date = KenyaTime.DayOf(now);
        var day = DayKey(date);
        var mobileCounted = false;
        if (o.CountsMobiles)
        {
            string? over = null;
            var (partition, row) = MobileKey(day, mobile);
            await _store.UpdateAsync(partition, row, counts =>
            {
                over = o.MobileDailyAmountLimit is { } limit && counts.Used.Amount + amount > limit ? "mobile-amount"
                    : o.MobileDailyCountLimit is { } count && counts.Used.Count + 1 > count ? "mobile-count"
                    : null;
                return over is null ? counts with { Used = counts.Used + new Tally(amount, 1) } : null;
            }, cancellationToken).ConfigureAwait(false);
            if (over is not null)
            {
                return Held(over, date);
            }
            mobileCounted = true;
        }
        var parts = new List<CountedPart>();
        if (o.CountsDays)
        {
            var (share, dayLimit) = await TakeFromDayAsync(day, amount, cancellationToken).ConfigureAwait(false);
            if (share is null)
            {
                await GiveBackAsync(new CountedLimits(day, parts, mobileCounted), mobile, amount, cancellationToken).ConfigureAwait(false);
                return Held(dayLimit!, date);
            }
            parts.Add(new CountedPart(share.Value, amount, 1));
        }
        return new Clearance(new CountedLimits(day, parts, mobileCounted), null, null);
    }

    /// <summary>
    /// Counts a released payout from now on, past any limit (overriding a limit is what a release is for). Null when no
    /// limit is set.
    /// </summary>
    public async Task<CountedLimits?> CountReleasedAsync(
        long amount,
        string mobile,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (!_options.CountsDays && !_options.CountsMobiles)
        {
            return null;
        }
        var day = KenyaDay(now);
        var parts = new List<CountedPart>();
        var add = new Tally(amount, 1);
        if (_options.CountsMobiles)
        {
            var (partition, row) = MobileKey(day, mobile);
            await _store.UpdateAsync(partition, row, counts => counts with { Used = counts.Used + add }, cancellationToken)
                .ConfigureAwait(false);
        }
        if (_options.CountsDays)
        {
            // Taken from the pool and used in one share at once, past the limit if need be: it counts against the day from now on.
            var share = Random.Shared.Next(DayPartitions);
            await _store.UpdateAsync(PoolPartition(day), PoolRow, counts => counts with { Used = counts.Used + add }, cancellationToken)
                .ConfigureAwait(false);
            await _store.UpdateAsync(
                DayPartition(day, share),
                DayRow,
                counts => new Counts(counts.Used + add, counts.Allotted + add),
                cancellationToken).ConfigureAwait(false);
            parts.Add(new CountedPart(share, amount, 1));
        }
        return new CountedLimits(day, parts, _options.CountsMobiles);
    }

    /// <summary>
    /// Gives back what a payout took (it ended failed or rejected: no money moved). A failure is logged, not thrown: the
    /// change it follows is written, and a count left too high can only hold a payout early, never send one past a limit.
    /// </summary>
    public async Task GiveBackAsync(CountedLimits counted, string mobile, long amount, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(counted);
        try
        {
            foreach (var part in counted.Parts)
            {
                // Back into the share's room, where the next payouts counted in that share find it.
                await _store.UpdateAsync(
                    DayPartition(counted.Day, part.Partition),
                    DayRow,
                    counts => counts with { Used = counts.Used + -new Tally(part.Amount, part.Count) },
                    cancellationToken).ConfigureAwait(false);
            }
            if (counted.Mobile)
            {
                var (partition, row) = MobileKey(counted.Day, mobile);
                await _store.UpdateAsync(
                    partition,
                    row,
                    counts => counts with { Used = counts.Used + -new Tally(amount, 1) },
                    cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.CountNotGivenBack(ex, counted.Day);
        }
    }

    /// <summary>This Kenya day's counts, added up over its partitions (for the gauges); null when no day limit is set.</summary>
    public async Task<Tally?> GetDayAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!_options.CountsDays)
        {
            return null;
        }
        var counts = await _store.GetCountsAsync("day-" + KenyaDay(now) + "-", cancellationToken).ConfigureAwait(false);
        return counts.Aggregate(default(Tally), (sum, count) => sum + count.Used);
    }

    /// <summary>
    /// Counts a payout in one of the day's shares: a random one, topped up from the pool when it is short, or else any share
    /// with room for all of it. Returns the share, or the day limit the payout would pass. A measure without a limit is
    /// counted too (for the gauges), and never needs room.
    /// </summary>
    private async Task<(int? Share, string? Over)> TakeFromDayAsync(string day, long amount, CancellationToken cancellationToken)
    {
        var need = new Tally(_options.DailyAmountLimit is null ? 0 : amount, _options.DailyCountLimit is null ? 0 : 1);
        var start = Random.Shared.Next(DayPartitions);
        string? over = null;
        // A share topped up may be emptied again by racing payouts before this one takes its room: a few rounds, then the scan.
        for (var round = 0; round < 3; round++)
        {
            var (took, room) = await TryTakeAsync(day, start, need, amount, cancellationToken).ConfigureAwait(false);
            if (took)
            {
                return (start, null);
            }
            var shortfall = new Tally(Math.Max(0, need.Amount - room.Amount), Math.Max(0, need.Count - room.Count));
            (var granted, over) = await AllotAsync(day, shortfall, cancellationToken).ConfigureAwait(false);
            if (granted is not { } grant)
            {
                break;
            }
            await _store.UpdateAsync(
                DayPartition(day, start),
                DayRow,
                counts => counts with { Allotted = counts.Allotted + grant },
                cancellationToken).ConfigureAwait(false);
        }
        // The pool has too little left for this share's shortfall: room left in the other shares is the day's last.
        for (var i = 1; i < DayPartitions; i++)
        {
            var share = (start + i) % DayPartitions;
            if ((await TryTakeAsync(day, share, need, amount, cancellationToken).ConfigureAwait(false)).Took)
            {
                return (share, null);
            }
        }
        return (null, over ?? (need.Amount > 0 ? "daily-amount" : "daily-count"));
    }

    /// <summary>Counts the payout in <paramref name="share"/> if its room holds what the limits need; the room it saw either way.</summary>
    private async Task<(bool Took, Tally Room)> TryTakeAsync(
        string day,
        int share,
        Tally need,
        long amount,
        CancellationToken cancellationToken)
    {
        var took = false;
        var room = default(Tally);
        await _store.UpdateAsync(DayPartition(day, share), DayRow, counts =>
        {
            room = counts.Room;
            took = room.Amount >= need.Amount && room.Count >= need.Count;
            return took ? counts with { Used = counts.Used + new Tally(amount, 1) } : null;
        }, cancellationToken).ConfigureAwait(false);
        return (took, room);
    }

    /// <summary>
    /// Takes from the day's pool a share's <paramref name="shortfall"/> and a chunk more, only if the pool still has the
    /// whole shortfall; otherwise nothing, and the day limit it is short of.
    /// </summary>
    private async Task<(Tally? Granted, string? Over)> AllotAsync(string day, Tally shortfall, CancellationToken cancellationToken)
    {
        var (amountLimit, countLimit) = (_options.DailyAmountLimit, _options.DailyCountLimit);
        string? over = null;
        var granted = default(Tally);
        await _store.UpdateAsync(PoolPartition(day), PoolRow, pool =>
        {
            var left = new Tally(amountLimit is { } a ? a - pool.Used.Amount : 0, countLimit is { } c ? c - pool.Used.Count : 0);
            over = amountLimit is not null && left.Amount < shortfall.Amount ? "daily-amount"
                : countLimit is not null && left.Count < shortfall.Count ? "daily-count"
                : null;
            granted = over is null
                ? new Tally(
                    amountLimit is { } la ? Math.Min(left.Amount, shortfall.Amount + Chunk(la)) : 0,
                    countLimit is { } lc ? Math.Min(left.Count, shortfall.Count + Chunk(lc)) : 0)
                : default;
            return granted.IsZero ? null : pool with { Used = pool.Used + granted };
        }, cancellationToken).ConfigureAwait(false);
        return (granted.IsZero ? null : granted, over);
    }

    private Clearance Held(string control, DateOnly day)
    {
        var (setting, limit) = control switch
        {
            "mobile-amount" => ("Controls:MobileDailyAmountLimit", $"{_options.MobileDailyAmountLimit} KES to one mobile number"),
            "mobile-count" => ("Controls:MobileDailyCountLimit", $"{_options.MobileDailyCountLimit} payouts to one mobile number"),
            "daily-amount" => ("Controls:DailyAmountLimit", $"{_options.DailyAmountLimit} KES"),
            _ => ("Controls:DailyCountLimit", $"{_options.DailyCountLimit} payouts"),
        };
        return new Clearance(
            null,
            control,
            $"Held: it would pass {setting} ({limit} a Kenya day) on {day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}.");
    }
}
