using System.Globalization;

namespace Paypro;

/// <summary>
/// Paypro writes times (<c>successTime</c>) as Kenya local time, <c>yyyy-MM-dd HH:mm:ss</c>, without an
/// offset. Kenya (Africa/Nairobi) is UTC+3 all year, with no daylight saving, so a fixed offset is exact.
/// </summary>
public static class KenyaTime
{
    /// <summary>The format Paypro uses.</summary>
    public const string Pattern = "yyyy-MM-dd HH:mm:ss";

    /// <summary>Kenya's offset from UTC.</summary>
    public static readonly TimeSpan Offset = TimeSpan.FromHours(3);

    /// <summary>Reads a Kenya time and returns the same instant in UTC (offset zero).</summary>
    /// <exception cref="PayproFormatException">The text is not <c>yyyy-MM-dd HH:mm:ss</c>.</exception>
    public static DateTimeOffset ParseToUtc(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParseToUtc(text, out var utc)
            ? utc
            : throw new PayproFormatException(
                $"A Paypro time must be Kenya local time written {Pattern}, for example 2024-07-01 18:34:31.");
    }

    /// <summary>Reads a Kenya time; false when <paramref name="text"/> is null or not <c>yyyy-MM-dd HH:mm:ss</c>.</summary>
    public static bool TryParseToUtc(string? text, out DateTimeOffset utc)
    {
        utc = default;
        if (text is null
            || !DateTime.TryParseExact(text, Pattern, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)
            || local < DateTime.MinValue + Offset)
        {
            return false;
        }
        utc = new DateTimeOffset(local, Offset).ToUniversalTime();
        return true;
    }

    /// <summary>Writes an instant as Paypro does: Kenya local time, <c>yyyy-MM-dd HH:mm:ss</c>.</summary>
    public static string Format(DateTimeOffset utc) => utc.ToOffset(Offset).ToString(Pattern, CultureInfo.InvariantCulture);

    /// <summary>The Kenya calendar day <paramref name="at"/> falls on: a Kenya day runs from 21:00 UTC the evening before.</summary>
    public static DateOnly DayOf(DateTimeOffset at) => DateOnly.FromDateTime(at.ToOffset(Offset).DateTime);

    /// <summary>When the Kenya day <paramref name="day"/> starts, in UTC (21:00 UTC of the day before).</summary>
    public static DateTimeOffset StartOf(DateOnly day) => new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), Offset).ToUniversalTime();
}
