using System.Globalization;

namespace Paypro.Functions.Operations;

/// <summary>The cells of the operator's CSV files (the transaction listing, the reconciliation report).</summary>
internal static class Csv
{
    public static string Time(DateTimeOffset? at) => at?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) ?? "";

    /// <summary>A CSV cell: quoted when it must be, and never read as a formula by a spreadsheet.</summary>
    public static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
