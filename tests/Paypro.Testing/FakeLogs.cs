using Microsoft.Extensions.Logging.Testing;

namespace Paypro.Testing;

/// <summary>What <see cref="FakeLogCollector"/> does not say by itself: a record as the whole text a leak could hide in.</summary>
public static class FakeLogs
{
    /// <summary>Everything a record holds, as text: category, level, event id, message, structured values and exception.</summary>
    public static string FullText(this FakeLogRecord record)
    {
        var values = record.StructuredState is { } state ? string.Join(' ', state.Select(p => $"{p.Key}={p.Value}")) : "";
        return $"{record.Category} {record.Level} {record.Id} {record.Message} {values} {record.Exception}";
    }

    /// <summary>Every record so far as one text: for "never logged" assertions.</summary>
    public static string AllText(this FakeLogCollector logs) => string.Join('\n', logs.GetSnapshot().Select(FullText));

    /// <summary>
    /// Names the first record that contains one of <paramref name="secrets"/>, by its event id, level, category and
    /// the secret's index, never the secret itself; null when none does.
    /// </summary>
    public static string? FindSecret(this FakeLogCollector logs, params string[] secrets)
    {
        foreach (var record in logs.GetSnapshot())
        {
            var text = record.FullText();
            for (var i = 0; i < secrets.Length; i++)
            {
                if (text.Contains(secrets[i], StringComparison.Ordinal))
                {
                    return $"Log record {record.Id} ({record.Level}, {record.Category}) contains secret number {i}.";
                }
            }
        }
        return null;
    }
}
