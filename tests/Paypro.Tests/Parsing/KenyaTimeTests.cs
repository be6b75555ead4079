namespace Paypro.Tests.Parsing;

public sealed class KenyaTimeTests
{
    [Theory]
    [InlineData("2024-07-01 18:34:31", "2024-07-01T15:34:31Z")]
    [InlineData("2024-01-01 02:00:00", "2023-12-31T23:00:00Z")]
    [InlineData("2024-03-31 03:30:00", "2024-03-31T00:30:00Z")] // a European DST night: Kenya has none
    [InlineData("2024-10-27 03:30:00", "2024-10-27T00:30:00Z")]
    [InlineData("2024-02-29 23:59:59", "2024-02-29T20:59:59Z")]
    public void Kenya_time_is_utc_plus_three_all_year(string kenya, string utc)
    {
        var parsed = KenyaTime.ParseToUtc(kenya);

        Assert.Equal(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), parsed);
        Assert.Equal(TimeSpan.Zero, parsed.Offset);
        Assert.True(KenyaTime.TryParseToUtc(kenya, out var tried));
        Assert.Equal(parsed, tried);
        Assert.Equal(kenya, KenyaTime.Format(parsed));
    }

    [Fact]
    public void Format_writes_any_offset_as_kenya_time()
    {
        var instant = new DateTimeOffset(2024, 7, 1, 17, 34, 31, TimeSpan.FromHours(2));

        Assert.Equal("2024-07-01 18:34:31", KenyaTime.Format(instant));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" 2024-07-01 18:34:31")]
    [InlineData("2024-07-01 18:34:31 ")]
    [InlineData("2024-07-01T18:34:31")]
    [InlineData("2024-07-01 18:34:31+03:00")]
    [InlineData("2024-7-01 18:34:31")]
    [InlineData("2024-07-01 8:34:31")]
    [InlineData("2024-07-01 18:34")]
    [InlineData("2024-02-30 10:00:00")]
    [InlineData("2024-07-01 24:00:00")]
    [InlineData("0001-01-01 00:00:00")]
    [InlineData("01/07/2024 18:34:31")]
    public void Anything_but_the_exact_format_is_refused(string text)
    {
        Assert.False(KenyaTime.TryParseToUtc(text, out _));
        var ex = Assert.Throws<PayproFormatException>(() => KenyaTime.ParseToUtc(text));
        Assert.Contains("yyyy-MM-dd HH:mm:ss", ex.Message);
    }

    [Fact]
    public void Null_is_refused()
    {
        Assert.False(KenyaTime.TryParseToUtc(null, out _));
        Assert.Throws<ArgumentNullException>(() => KenyaTime.ParseToUtc(null!));
    }
}
