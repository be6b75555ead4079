using Microsoft.Extensions.Configuration;
using Paypro.Functions.Configuration;
using Paypro.Functions.Operations;
using Paypro.Functions.Transactions;

namespace Paypro.Functions.Tests.Transactions;

/// <summary>The money controls' keys and arithmetic; the counting itself runs against storage in <c>MoneyControlsTests</c>.</summary>
public class PayoutControlsTests
{
    [Theory]
    [InlineData("2026-12-06T20:59:59.9999999+00:00", "20261206")]
    [InlineData("2026-12-06T21:00:00+00:00", "20261207")]
    [InlineData("2026-12-07T00:30:00+03:00", "20261207")]
    [InlineData("2026-12-31T21:00:00+00:00", "20270101")]
    public void The_Kenya_day_starts_at_21_00_UTC(string at, string day) =>
        Assert.Equal(day, PayoutControls.KenyaDay(DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void A_mobile_numbers_count_is_keyed_by_a_hash_spread_over_partitions_and_never_holds_the_number()
    {
        var (partition, row) = PayoutControls.MobileKey("20261206", "254712345678");
        var (otherPartition, otherRow) = PayoutControls.MobileKey("20261206", "254712345679");

        Assert.StartsWith("mobile-20261206-", partition, StringComparison.Ordinal);
        Assert.DoesNotContain("712345678", partition + row, StringComparison.Ordinal);
        Assert.NotEqual(row, otherRow);
        Assert.Equal((partition, row), PayoutControls.MobileKey("20261206", "254712345678"));
        Assert.NotEqual(partition, PayoutControls.MobileKey("20261207", "254712345678").Partition);
        _ = otherPartition;
    }

    [Fact]
    public void A_days_shares_each_have_a_partition_of_their_own_beside_the_pool()
    {
        var shares = Enumerable.Range(0, PayoutControls.DayPartitions).Select(s => PayoutControls.DayPartition("20261206", s)).ToList();

        Assert.Equal(PayoutControls.DayPartitions, shares.Distinct().Count());
        Assert.All(shares, share => Assert.StartsWith(PayoutControls.PoolPartition("20261206") + "-", share, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(1_000, 15)]
    [InlineData(5, 1)]
    [InlineData(10_000_000, 156_250)]
    public void The_pool_allots_a_share_its_shortfall_and_a_64th_of_the_limit(long limit, long chunk) =>
        Assert.Equal(chunk, PayoutControls.Chunk(limit));

    [Fact]
    public void Room_in_a_share_is_its_allotment_less_what_it_used_never_below_zero()
    {
        Assert.Equal(new Tally(30, 1), new Counts(new Tally(70, 2), new Tally(100, 3)).Room);
        // A release counts past the allotment; the share then has no room, not negative room.
        Assert.Equal(default, new Counts(new Tally(150, 4), new Tally(100, 3)).Room);
    }

    [Theory]
    [InlineData("AzureWebJobs.SubmitPayout.Disabled", "true", true)]
    [InlineData("AzureWebJobs.SubmitPayout.Disabled", "1", true)]
    [InlineData("AzureWebJobs_SubmitPayout_Disabled", "True", true)]
    [InlineData("AzureWebJobs.SubmitPayout.Disabled", "false", false)]
    [InlineData("AzureWebJobs.SubmitPayin.Disabled", "true", false)]
    public void Payouts_are_paused_by_the_platform_switch_in_either_spelling(string setting, string value, bool paused)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new KeyValuePair<string, string?>(setting, value)]).Build();

        Assert.Equal(paused, FunctionSwitch.IsDisabled(configuration, HeldPayouts.SubmitPayoutFunction));
    }
}
