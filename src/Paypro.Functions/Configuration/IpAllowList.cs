using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Sockets;

namespace Paypro.Functions.Configuration;

/// <summary>
/// A comma-separated list of CIDR ranges or single addresses allowed to call an endpoint (empty: any caller that
/// has the function key), checked against the caller's address (<c>Http.Caller</c>).
/// </summary>
public sealed class IpAllowList
{
    private readonly IReadOnlyList<IPNetwork> _ranges;

    private IpAllowList(IReadOnlyList<IPNetwork> ranges) => _ranges = ranges;

    public bool IsEmpty => _ranges.Count == 0;

    /// <exception cref="FormatException">
    /// An entry is neither an address nor a range; the message names <paramref name="setting"/>.
    /// </exception>
    public static IpAllowList Parse(string? text, string setting)
    {
        var ranges = new List<IPNetwork>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IPNetwork.TryParse(part, out var network))
            {
                ranges.Add(network);
            }
            else if (IPAddress.TryParse(part, out var address))
            {
                ranges.Add(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                throw new FormatException($"{setting} has an entry that is neither an IP address nor a CIDR range: '{part}'.");
            }
        }
        return new IpAllowList(ranges);
    }

    /// <summary>The check of an allow-list setting at start-up: nothing, or the entry that does not parse.</summary>
    public static IEnumerable<ValidationResult> Check(string? text, string setting)
    {
        try
        {
            Parse(text, setting);
            return [];
        }
        catch (FormatException ex)
        {
            return [new ValidationResult(ex.Message)];
        }
    }

    public bool Allows(IPAddress? caller) => IsEmpty || (caller is not null && _ranges.Any(range => range.Contains(caller)));
}
