using System.Globalization;

namespace Paypro.Functions.Transactions;

/// <summary>
/// What one payout took from the day limits' counts when it was cleared: the Kenya day, the parts it took from the
/// day's count partitions (an amount may span several), and whether it was counted for its mobile number. Kept on the
/// record, so that a payout that ends failed or rejected gives exactly that back. Stored as
/// <c>yyyyMMdd;m;3:5000:1,4:2000:0</c> (the <c>m</c> when the mobile number was counted, <c>-</c> when not).
/// </summary>
public sealed record CountedLimits(string Day, IReadOnlyList<CountedPart> Parts, bool Mobile)
{
    public override string ToString() =>
        Day + ";" + (Mobile ? "m" : "-") + ";"
            + string.Join(",", Parts.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Partition}:{p.Amount}:{p.Count}")));

    /// <summary>
    /// The record's stored text back as a value; null for none or for text this version cannot read (nothing is given back then).
    /// </summary>
    public static CountedLimits? Parse(string? text)
    {
        var fields = text?.Split(';');
        if (fields is not { Length: 3 } || fields[0].Length != 8)
        {
            return null;
        }
        var parts = new List<CountedPart>();
        foreach (var part in fields[2].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var numbers = part.Split(':');
            if (numbers.Length != 3
                || !int.TryParse(numbers[0], NumberStyles.None, CultureInfo.InvariantCulture, out var partition)
                || !long.TryParse(numbers[1], NumberStyles.None, CultureInfo.InvariantCulture, out var amount)
                || !long.TryParse(numbers[2], NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            {
                return null;
            }
            parts.Add(new CountedPart(partition, amount, count));
        }
        return new CountedLimits(fields[0], parts, fields[1] == "m");
    }

    public bool Equals(CountedLimits? other) => other is not null && ToString() == other.ToString();

    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);
}

/// <summary>An amount and a count taken from one partition of a day's count.</summary>
public readonly record struct CountedPart(int Partition, long Amount, long Count);

/// <summary>An amount and a count: what a count holds, or what is added to it.</summary>
public readonly record struct Tally(long Amount, long Count)
{
    public bool IsZero => Amount == 0 && Count == 0;

    public static Tally operator +(Tally a, Tally b) => new(a.Amount + b.Amount, a.Count + b.Count);

    public static Tally operator -(Tally a) => new(-a.Amount, -a.Count);
}

/// <summary>
/// One count entity: what was used (cleared payouts), and what was allotted to it from the day's pool (for a share of a
/// day's count; zero elsewhere).
/// </summary>
public readonly record struct Counts(Tally Used, Tally Allotted)
{
    /// <summary>Room left in a share: its allotment less what it used, never below zero.</summary>
    public Tally Room => new(Math.Max(0, Allotted.Amount - Used.Amount), Math.Max(0, Allotted.Count - Used.Count));
}
