using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Paypro.Load;

/// <summary>
/// Sits in the app's Table Storage pipeline (per retry, so every request that goes over the wire counts) and counts
/// round trips and the entities they return, in total and per transaction: a request is charged to the tradeNo it
/// names (a point operation's PartitionKey, a due entry's row key, a batch's sub-requests). Counted on the wire, as
/// the end-to-end budget tests count, so the figures are what Azurite really served.
/// </summary>
public sealed partial class StorageCounter : HttpPipelinePolicy
{
    private readonly ConcurrentDictionary<string, int> _byTradeNo = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _byKind = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _entitiesByKind = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _refusedByKind = new(StringComparer.Ordinal);
    private long _roundTrips;
    private long _entitiesRead;
    private long _unattributed;

    public long RoundTrips => Interlocked.Read(ref _roundTrips);
    public long EntitiesRead => Interlocked.Read(ref _entitiesRead);

    /// <summary>Round trips that named no tradeNo (queries over a range, table creation).</summary>
    public long Unattributed => Interlocked.Read(ref _unattributed);

    /// <summary>Round trips charged to <paramref name="tradeNo"/> since the last reset.</summary>
    public int RoundTripsOf(string tradeNo) => _byTradeNo.GetValueOrDefault(tradeNo);

    /// <summary>
    /// Round trips since the last reset by method and table ("GET Due", "POST $batch"), with the entities GETs returned
    /// and the writes refused for a conflict (409 or 412: another writer's change went in first).
    /// </summary>
    /// <param name="table">Only the requests to this table, by its name without the prefix ("Controls"), when given.</param>
    public string DescribeRequests(string? table = null) =>
        string.Join(
            ", ",
            _byKind
                .Where(k => table is null || k.Key.EndsWith(" " + table, StringComparison.Ordinal))
                .OrderBy(k => k.Key, StringComparer.Ordinal)
                .Select(k => $"{k.Key} x{k.Value}"
                    + (_entitiesByKind.TryGetValue(k.Key, out var entities) ? $" ({entities} entities)" : "")
                    + (_refusedByKind.TryGetValue(k.Key, out var refused) ? $" ({refused} refused: conflict)" : "")));

    /// <summary>
    /// Round trips since the last reset to one table, by its name without the prefix ("Transactions", "Due", "Controls").
    /// </summary>
    public int RoundTripsOn(string table) => _byKind.Where(k => k.Key.EndsWith(" " + table, StringComparison.Ordinal)).Sum(k => k.Value);

    /// <summary>Writes to one table refused for a conflict (409 or 412) since the last reset.</summary>
    public int ConflictsOn(string table) =>
        _refusedByKind.Where(k => k.Key.EndsWith(" " + table, StringComparison.Ordinal)).Sum(k => k.Value);

    public void Reset()
    {
        _byKind.Clear();
        _entitiesByKind.Clear();
        _refusedByKind.Clear();
        Interlocked.Exchange(ref _roundTrips, 0);
        Interlocked.Exchange(ref _entitiesRead, 0);
        Interlocked.Exchange(ref _unattributed, 0);
        _byTradeNo.Clear();
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var tradeNos = TradeNosOf(message.Request);
        ProcessNext(message, pipeline);
        Count(message, tradeNos);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var tradeNos = TradeNosOf(message.Request);
        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        Count(message, tradeNos);
    }

    private void Count(HttpMessage message, HashSet<string> tradeNos)
    {
        Interlocked.Increment(ref _roundTrips);
        if (tradeNos.Count == 0)
        {
            Interlocked.Increment(ref _unattributed);
        }
        foreach (var tradeNo in tradeNos)
        {
            _byTradeNo.AddOrUpdate(tradeNo, 1, static (_, count) => count + 1);
        }
        var path = message.Request.Uri.Path;
        var table = path[(path.LastIndexOf('/') + 1)..];
        var paren = table.IndexOf('(', StringComparison.Ordinal);
        table = paren < 0 ? table : table[..paren];
        var shortName = table.EndsWith("Due", StringComparison.Ordinal) ? "Due"
            : table.EndsWith("Transactions", StringComparison.Ordinal) ? "Transactions"
            : table.EndsWith("Audit", StringComparison.Ordinal) ? "Audit"
            : table.EndsWith("Controls", StringComparison.Ordinal) ? "Controls"
            : table;
        var kind = $"{message.Request.Method} {shortName}";
        _byKind.AddOrUpdate(kind, 1, static (_, count) => count + 1);
        if (message.HasResponse && message.Response.Status is 409 or 412)
        {
            _refusedByKind.AddOrUpdate(kind, 1, static (_, count) => count + 1);
        }
        if (message.Request.Method != RequestMethod.Get
            || !message.HasResponse
            || message.Response.Status != 200
            || message.Response.Content is null)
        {
            return;
        }
        try
        {
            using var document = JsonDocument.Parse(message.Response.Content.ToMemory());
            var read = document.RootElement.TryGetProperty("value", out var values) && values.ValueKind == JsonValueKind.Array
                ? values.GetArrayLength()
                : 1;
            Interlocked.Add(ref _entitiesRead, read);
            _entitiesByKind.AddOrUpdate(kind, read, (_, count) => count + read);
        }
        catch (JsonException)
        {
        }
    }

    private static HashSet<string> TradeNosOf(Request request)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        var path = Uri.UnescapeDataString(request.Uri.Path);
        if (path.EndsWith("$batch", StringComparison.Ordinal) && request.Content is { } content)
        {
            // A batch names its partition in each sub-request: in the URL of an update, in the body of an insert.
            using var buffer = new MemoryStream();
            content.WriteTo(buffer, CancellationToken.None);
            var text = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
            foreach (var part in text.Split("application/http", StringSplitOptions.RemoveEmptyEntries))
            {
                var url = UrlPartition().Match(Uri.UnescapeDataString(part));
                if (url.Success)
                {
                    Add(found, url.Groups["pk"].Value, url.Groups["rk"].Value);
                    continue;
                }
                var partitionKey = BodyField().Matches(part).FirstOrDefault(m => m.Groups["name"].Value == "PartitionKey");
                var rowKey = BodyField().Matches(part).FirstOrDefault(m => m.Groups["name"].Value == "RowKey");
                if (partitionKey is not null)
                {
                    Add(found, partitionKey.Groups["value"].Value, rowKey?.Groups["value"].Value ?? "");
                }
            }
            return found;
        }
        foreach (Match match in UrlPartition().Matches(path))
        {
            Add(found, match.Groups["pk"].Value, match.Groups["rk"].Value);
        }
        if (found.Count == 0 && request.Method == RequestMethod.Post && request.Content is { } insert)
        {
            // An insert names its entity's keys in its body only.
            using var buffer = new MemoryStream();
            insert.WriteTo(buffer, CancellationToken.None);
            var text = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
            var fields = BodyField().Matches(text);
            if (fields.FirstOrDefault(m => m.Groups["name"].Value == "PartitionKey") is { } partitionKey)
            {
                Add(
                    found,
                    partitionKey.Groups["value"].Value,
                    fields.FirstOrDefault(m => m.Groups["name"].Value == "RowKey")?.Groups["value"].Value ?? "");
            }
        }
        return found;
    }

    private static void Add(HashSet<string> found, string partitionKey, string rowKey)
    {
        // Index rows live in the index partitions (ix000...); their row key ends with the tradeNo ("d|<tradeNo>",
        // "~created|<ticks>|<tradeNo>"). Partitions starting with '_' (refused and unmatched callbacks, the layout
        // row) belong to no payout.
        var tradeNo = IsIndexPartition(partitionKey) ? rowKey[(rowKey.LastIndexOf('|') + 1)..] : partitionKey;
        if (tradeNo.Length > 0 && !tradeNo.StartsWith('_'))
        {
            found.Add(tradeNo);
        }
    }

    private static bool IsIndexPartition(string partitionKey) =>
        partitionKey.Length == 5 && partitionKey.StartsWith("ix", StringComparison.Ordinal) && partitionKey[2..].All(char.IsAsciiDigit);

    [GeneratedRegex(@"PartitionKey='(?<pk>[^']*)',RowKey='(?<rk>[^']*)'", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPartition();

    [GeneratedRegex(@"""(?<name>PartitionKey|RowKey)""\s*:\s*""(?<value>[^""]*)""", RegexOptions.CultureInvariant)]
    private static partial Regex BodyField();
}
