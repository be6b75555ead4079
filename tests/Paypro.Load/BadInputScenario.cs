using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Paypro.Functions.Transactions;

namespace Paypro.Load;

/// <summary>
/// "bad-input": generated bad inputs, half notify callbacks and half payout messages: forged, tampered, malformed,
/// oversized, with duplicate keys, bad UTF-8 or deep nesting, and more. Every refused callback must get a 4xx,
/// never a 5xx; every bad message must be rejected (a rejected record with its reason) or poisoned (moved to the
/// poison queue, its reason in the audit trail or the log), or, for a tradeNo that exists, refused with its reason
/// logged; and none may change a transaction or reach Paypro.
/// </summary>
public sealed class BadInputScenario : IScenario
{
    private const int MaxBodyBytes = 16 * 1024;

    public string Name => "bad-input";

    public string Title => "generated bad callbacks and queue messages: answers by class, state changes caused";

    private enum Outcome
    {
        Poisoned,
        Rejected,
        RefusedForExisting,
    }

    private sealed record BadCallback(string Class, byte[] Body, string PathAndQuery, HttpStatusCode Expected, bool Chunked = false);

    private sealed record BadMessage(string Class, byte[] Body, bool Base64, Outcome Expected, string? TradeNo)
    {
        /// <summary>The text the app reads from it (invalid UTF-8 replaced), which is what a poison copy holds.</summary>
        public string Text => Encoding.UTF8.GetString(Body);
    }

    public async Task RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var report = context.Report;
        var half = Math.Max(context.Count(1000, 60) / 2, 20);
        var timeout = context.Timeout(TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(1));
        var logs = new LogCapture();
        await using var environment = await context.StartEnvironmentAsync(new EnvironmentOptions
        {
            Logs = logs,
            // A message whose handling throws comes back quickly, so even that path ends within the run.
            AppSettings = new Dictionary<string, string?> { ["AzureFunctionsJobHost:extensions:queues:visibilityTimeout"] = "00:00:01" },
        }, cancellationToken);

        // Pending payouts the bad inputs aim at: a forged or tampered success would change them.
        var existing = Workload.TradeNos(environment, "X", context.Smoke ? 5 : 50);
        await Workload.SeedSubmittedAsync(environment.Store, existing, DateTimeOffset.UtcNow.AddDays(1), cancellationToken);
        var before = await Workload.ScanRecordsAsync(environment, cancellationToken);

        // 1. Callbacks.
        var callbacks = GenerateCallbacks(environment, existing, half);
        var answers = new ConcurrentBag<(BadCallback Callback, int Status)>();
        using (var http = Workload.LoopbackClient(environment.BaseAddress, 8))
        {
            await Parallel.ForEachAsync(
                callbacks,
                new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
                async (callback, token) => answers.Add((callback, await PostAsync(http, callback, token))));
        }

        // 2. Queue messages, then wait until the app has taken every one off the queue.
        var messages = GenerateMessages(environment, existing, half);
        var sent = await SendAsync(environment, messages, cancellationToken);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (await Workload.QueueLengthAsync(environment.Queues, environment.PayoutsQueue, cancellationToken) > 0)
        {
            if (clock.Elapsed > timeout)
            {
                break;
            }
            await Task.Delay(250, cancellationToken);
        }
        var left = await Workload.QueueLengthAsync(environment.Queues, environment.PayoutsQueue, cancellationToken);

        // 3. A poll, as the timer would run it: unsigned callbacks were only hints, and a query must decide nothing here.
        await environment.PollOnceAsync(cancellationToken);

        // What became of each message.
        var poisonTexts = await DrainPoisonAsync(environment, cancellationToken);
        var poisonReasons = await PoisonReasonsAsync(environment, cancellationToken);
        var after = await Workload.ScanRecordsAsync(environment, cancellationToken);
        var logLines = logs.Entries.ToArray();
        var outcomes = new List<(BadMessage Message, string Observed, bool WithReason)>();
        foreach (var (message, id) in sent)
        {
            string observed;
            bool withReason;
            if (poisonTexts.Remove(message.Text))
            {
                observed = "poisoned";
                // The reason is in the audit trail, or in the app's PAYPRO_POISON_MESSAGE log entry (the one an alert watches).
                withReason = poisonReasons.Any(r => r.Contains(id, StringComparison.Ordinal))
                    || logLines.Any(l => l.Contains(id, StringComparison.Ordinal)
                        && l.Contains("PAYPRO_POISON_MESSAGE", StringComparison.Ordinal));
            }
            else if (message.TradeNo is { } tradeNo && !existing.Contains(tradeNo) && after.TryGetValue(tradeNo, out var record))
            {
                observed = record.State == TransactionState.Rejected ? "rejected" : "recorded as " + record.State.ToWire();
                withReason = record.State == TransactionState.Rejected
                    && !string.IsNullOrEmpty((await environment.Store.Transactions.GetAsync(tradeNo, cancellationToken))?.Reason);
            }
            else if (message.TradeNo is { } existingTradeNo && existing.Contains(existingTradeNo)
                && logLines.Any(l => l.Contains(existingTradeNo, StringComparison.Ordinal)
                    && (l.Contains("is invalid (", StringComparison.Ordinal)
                        || l.Contains("but another request", StringComparison.Ordinal))))
            {
                observed = "refused for an existing tradeNo";
                withReason = true;
            }
            else
            {
                observed = "unaccounted";
                withReason = false;
            }
            outcomes.Add((message, observed, withReason));
        }

        // State changes: the pending payouts in the state they were (a conflicting request is kept as an anomaly on the
        // transaction, which writes a revision but changes no state), no record but rejected ones created, no call to Paypro.
        var changed = existing.Count(t => !after.TryGetValue(t, out var now) || now.State != before[t].State);
        var anomalies = existing.Count(t => after.TryGetValue(t, out var now) && now.Revision != before[t].Revision);
        var created = after.Values.Where(r => !before.ContainsKey(r.TradeNo)).ToList();
        var createdNotRejected = created.Count(r => r.State != TransactionState.Rejected);
        var createCalls = environment.Sandbox.Ledger.Requests.Count(r => r.IsCreate);

        foreach (var group in answers.GroupBy(a => a.Callback.Class).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var byStatus = group
                .GroupBy(a => a.Status)
                .OrderBy(g => g.Key)
                .Select(g => $"{(g.Key == 0 ? "no answer" : g.Key.ToString(CultureInfo.InvariantCulture))} x{g.Count()}");
            report.Add(
                Name,
                $"callbacks: {group.Key}",
                string.Join(", ", byStatus) + $" (expected {(int)group.First().Callback.Expected})");
        }
        var refused = answers.Where(a => a.Callback.Expected != HttpStatusCode.OK).ToList();
        var refused4xx = refused.Count(a => a.Status is >= 400 and < 500);
        var fiveXx = answers.Count(a => a.Status >= 500 || a.Status == 0);
        var unexpected = answers.Count(a => a.Status != (int)a.Callback.Expected);
        report.Budget(
            Name,
            "refused callbacks",
            $"{refused4xx} of {refused.Count} answered 4xx; 5xx or no answer {fiveXx}; " +
                $"answered otherwise than expected {unexpected} (of {answers.Count} callbacks)",
            "all 4xx, never 5xx",
            refused4xx == refused.Count && fiveXx == 0 && unexpected == 0);
        foreach (var group in outcomes.GroupBy(o => o.Message.Class).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            report.Add(
                Name,
                $"messages: {group.Key}",
                string.Join(", ", group.GroupBy(o => o.Observed).Select(g => $"{g.Key} x{g.Count()}")) +
                    $" (expected {Describe(group.First().Message.Expected)})");
        }
        var accounted = outcomes.Count(o => o.WithReason && o.Observed is "poisoned" or "rejected" or "refused for an existing tradeNo");
        var asExpected = outcomes.Count(o => o.Observed == Describe(o.Message.Expected));
        report.Budget(
            Name,
            "bad messages",
            $"{accounted} of {outcomes.Count} rejected or poisoned with their reason " +
                $"({outcomes.Count(o => o.Observed == "poisoned")} poisoned, " +
                $"{outcomes.Count(o => o.Observed == "rejected")} rejected, " +
                $"{outcomes.Count(o => o.Observed == "refused for an existing tradeNo")} refused for an existing tradeNo); " +
                $"as expected {asExpected}; left on the queue {left}; poison copies not matched {poisonTexts.Values.Sum()}",
            "every one rejected or poisoned with its reason",
            accounted == outcomes.Count && left == 0);
        report.Budget(
            Name,
            "state changes caused",
            $"{changed} of {existing.Length} pending payouts changed; records created other than rejected {createdNotRejected} " +
                $"({created.Count} rejected records for bad messages with a tradeNo); create calls to Paypro {createCalls}; " +
                $"pending payouts that kept a conflicting request as an anomaly {anomalies}",
            "0",
            changed == 0 && createdNotRejected == 0 && createCalls == 0);
        foreach (var (message, observed, _) in outcomes.Where(o => !o.WithReason).Take(10))
        {
            Console.WriteLine($"  {message.Class}: {observed}: {Workload.Truncate(message.Text, 120)}");
        }
    }

    private static string Describe(Outcome outcome) => outcome switch
    {
        Outcome.Poisoned => "poisoned",
        Outcome.Rejected => "rejected",
        _ => "refused for an existing tradeNo",
    };

    private static async Task<int> PostAsync(HttpClient http, BadCallback callback, CancellationToken cancellationToken)
    {
        try
        {
            using HttpContent content = callback.Chunked
                ? new StreamContent(new MemoryStream(callback.Body))
                : new ByteArrayContent(callback.Body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, callback.PathAndQuery) { Content = content };
            if (callback.Chunked)
            {
                request.Headers.TransferEncodingChunked = true;
            }
            using var response = await http.SendAsync(request, cancellationToken);
            return (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    private static List<BadCallback> GenerateCallbacks(LoadEnvironment environment, string[] existing, int count)
    {
        var secret = environment.Sandbox.Options.AppSecret;
        var salt = environment.Sandbox.Options.SaltPosition;
        var path = environment.NotifyPathAndQuery;
        byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
        string Signed(List<KeyValuePair<string, string?>> fields) => NotifyBodies.Signed(fields, secret, salt);
        List<KeyValuePair<string, string?>> Fields(int i) => Workload.NotifyFields(existing[i % existing.Length]);

        var generators = new List<Func<int, BadCallback>>
        {
            i => new(
                "forged",
                Utf8(NotifyBodies.Signed(Fields(i), "not-the-secret-" + i, salt)),
                path,
                HttpStatusCode.Unauthorized),
            i =>
            {
                // Signed as Paypro would, then one field changed on the way.
                var fields = Fields(i);
                var body = Signed(fields);
                var tampered = (i % 4) switch
                {
                    0 => body.Replace("\"amount\":\"120\"", "\"amount\":\"1200\"", StringComparison.Ordinal),
                    1 => body.Replace("\"status\":\"0000\"", "\"status\":\"0001\"", StringComparison.Ordinal),
                    2 => body.Replace(existing[i % existing.Length], existing[(i + 1) % existing.Length], StringComparison.Ordinal),
                    _ => body.Replace("\"message\":\"SUCCESS\"", "\"message\":\"SUCCESS \"", StringComparison.Ordinal),
                };
                return new(
                    "tampered",
                    Utf8(tampered),
                    path,
                    existing.Length < 2 && i % 4 == 2 ? HttpStatusCode.OK : HttpStatusCode.Unauthorized);
            },
            i => new("unsigned (a hint; a query decides)", Utf8(NotifyBodies.Json(Fields(i), sign: null)), path, HttpStatusCode.OK),
            i => new("malformed", Utf8((i % 10) switch
            {
                0 => "",
                1 => "{",
                2 => "{\"tradeNo\":",
                3 => "[]",
                4 => "\"OK\"",
                5 => "null",
                6 => "{\"status\":\"0000\",}",
                7 => "{'tradeNo':'x'}",
                8 => "{\"a\":1}{\"b\":2}",
                _ => "tradeNo=" + existing[0] + "&status=0000",
            }), path, HttpStatusCode.BadRequest),
            i =>
            {
                var size = (i % 3) switch { 0 => MaxBodyBytes + 1, 1 => 64 * 1024, _ => 256 * 1024 };
                var fields = Fields(i);
                fields.Add(new("padding", new string('x', size)));
                return new("oversized", Utf8(Signed(fields)), path, HttpStatusCode.RequestEntityTooLarge, Chunked: i % 2 == 1);
            },
            i =>
            {
                // A repeated key, signed over everything: two parsers could read two different bodies under one sign.
                var fields = Fields(i);
                fields.Insert(4, new("status", "00029"));
                return new("duplicate keys", Utf8(Signed(fields)), path, HttpStatusCode.BadRequest);
            },
            i =>
            {
                byte[][] bad = [[0xC3, 0x28], [0xFF], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF8, 0x88, 0x80, 0x80, 0x80]];
                var text = Signed(Fields(i));
                var at = text.IndexOf("SUCCESS", StringComparison.Ordinal);
                var body = Utf8(text[..at]).Concat(bad[i % bad.Length]).Concat(Utf8(text[at..])).ToArray();
                return new("bad UTF-8", body, path, HttpStatusCode.BadRequest);
            },
            i =>
            {
                var depth = 5 + i % 2000;
                return new(
                    "deep nesting",
                    Utf8("{\"tradeNo\":" + new string('[', depth) + new string(']', depth) + ",\"status\":\"0000\"}"),
                    path,
                    HttpStatusCode.BadRequest);
            },
            i =>
            {
                // Verified, but a field's shape is wrong: a signature over separator-less pairs proves less than it seems.
                var fields = Fields(i);
                var (name, value) = (i % 5) switch
                {
                    0 => ("status", "00x0"),
                    1 => ("amount", "1e3"),
                    2 => ("amount", "-120"),
                    3 => ("tradeNo", "../" + existing[0]),
                    _ => ("successTime", "yesterday"),
                };
                var index = fields.FindIndex(f => f.Key == name);
                fields[index] = new(name, value);
                return new("bad fields, validly signed", Utf8(Signed(fields)), path, HttpStatusCode.BadRequest);
            },
            i => new(
                "no or wrong function key",
                Utf8(Signed(Fields(i))),
                i % 2 == 0 ? "/api/paypro/notify" : "/api/paypro/notify?code=wrong-key-" + i,
                HttpStatusCode.Unauthorized),
        };
        return Enumerable.Range(0, count).Select(i => generators[i % generators.Count](i / generators.Count)).ToList();
    }

    private static List<BadMessage> GenerateMessages(LoadEnvironment environment, string[] existing, int count)
    {
        var prefix = $"B{environment.Id.ToUpperInvariant()}";
        byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
        string Valid(string tradeNo, string amount = "120", string mobile = "\"254712345600\"", string extra = "") =>
            $$"""{"tradeNo":"{{tradeNo}}","amount":{{amount}},"mobile":{{mobile}},"remark":"bad input"{{extra}}}""";

        var generators = new List<Func<int, BadMessage>>
        {
            i => new(
                "not JSON",
                Utf8((i % 3) switch
                {
                    0 => $"hello {prefix} {i}",
                    1 => $"{{\"tradeNo\":\"{prefix}J{i}\"",
                    _ => $"tradeNo={prefix}J{i}&amount=120",
                }),
                true,
                Outcome.Poisoned,
                null),
            i => new(
                "not an object",
                Utf8((i % 3) switch
                {
                    0 => $"[\"{prefix}A{i}\"]",
                    1 => $"\"{prefix}S{i}\"",
                    _ => (1_000_000 + i).ToString(CultureInfo.InvariantCulture),
                }),
                true,
                Outcome.Poisoned,
                null),
            i => new(
                "deep nesting",
                Utf8(Valid(
                    $"{prefix}N{i}",
                    extra: ",\"metadata\":" + string.Concat(Enumerable.Repeat("{\"a\":", 4 + i % 60))
                        + "\"x\"" + new string('}', 4 + i % 60))),
                true,
                Outcome.Poisoned,
                null),
            i => new(
                "duplicate tradeNo",
                Utf8($$"""{"tradeNo":"{{prefix}}D{{i}}","tradeNo":"{{prefix}}E{{i}}","amount":120,"mobile":"254712345600"}"""),
                true,
                Outcome.Poisoned,
                null),
            i => new(
                "duplicate field",
                Utf8($$"""{"tradeNo":"{{prefix}}F{{i}}","amount":120,"amount":100000,"mobile":"254712345600"}"""),
                true,
                Outcome.Rejected,
                $"{prefix}F{i}"),
            i => new("not base64", Utf8($"plain text, not base64: {prefix} {i} !"), false, Outcome.Poisoned, null),
            i =>
            {
                // Invalid UTF-8 in the tradeNo: the app reads a replacement character, so no valid tradeNo: poisoned.
                var head = Utf8($"{{\"tradeNo\":\"{prefix}U{i}");
                var tail = Utf8("\",\"amount\":120,\"mobile\":\"254712345600\"}");
                return new("bad UTF-8 in the tradeNo", [.. head, .. new byte[] { 0xFF, 0xFE }, .. tail], true, Outcome.Poisoned, null);
            },
            i =>
            {
                var head = Utf8($"{{\"tradeNo\":\"{prefix}V{i}\",\"amount\":120,\"mobile\":\"2547123456");
                var tail = Utf8("\"}");
                return new(
                    "bad UTF-8 in a field",
                    [.. head, .. new byte[] { 0xC3, 0x28 }, .. tail],
                    true,
                    Outcome.Rejected,
                    $"{prefix}V{i}");
            },
            i => new("no valid tradeNo", Utf8((i % 4) switch
            {
                0 => $$"""{"amount":120,"mobile":"254712345600","remark":"{{prefix}}T{{i}}"}""",
                1 => $$"""{"tradeNo":{{1_000_000 + i}},"amount":120,"mobile":"254712345600","remark":"{{prefix}}T{{i}}"}""",
                2 => $$"""{"tradeNo":"bad tradeNo {{prefix}} {{i}}","amount":120,"mobile":"254712345600"}""",
                _ => $$"""{"tradeNo":"{{prefix}}{{new string('T', 70)}}{{i}}","amount":120,"mobile":"254712345600"}""",
            }), true, Outcome.Poisoned, null),
            i =>
            {
                var tradeNo = $"{prefix}R{i}";
                var text = (i % 12) switch
                {
                    0 => Valid(tradeNo, amount: "0"),
                    1 => Valid(tradeNo, amount: "1000000000"),
                    2 => Valid(tradeNo, amount: "12.5"),
                    3 => Valid(tradeNo, amount: "\"abc\""),
                    4 => Valid(tradeNo, mobile: "\"12345\""),
                    5 => $$"""{"tradeNo":"{{tradeNo}}","amount":120}""",
                    6 => Valid(tradeNo, extra: ",\"amout\":5"),
                    7 => Valid(tradeNo, extra: ",\"notifyUrl\":\"ftp://example.invalid/x\""),
                    8 => Valid(tradeNo, extra: ",\"metadata\":[1,2]"),
                    9 => Valid(
                        tradeNo,
                        extra: ",\"metadata\":{" + string.Join(",", Enumerable.Range(0, 17).Select(k => $"\"k{k}\":\"v\"")) + "}"),
                    10 => Valid(tradeNo, mobile: "254712345600"),
                    _ => Valid(tradeNo, extra: ",\"notifyUrl\":\"not a url\""),
                };
                return new("invalid field", Utf8(text), true, Outcome.Rejected, tradeNo);
            },
            i =>
            {
                var tradeNo = $"{prefix}O{i}";
                // Large, but within a queue message's 64 KiB once base64-encoded.
                var text = i % 2 == 0
                    ? $$"""{"tradeNo":"{{tradeNo}}","amount":120,"mobile":"254712345600","remark":"{{new string('r', 40_000)}}"}"""
                    : Valid(tradeNo, extra: ",\"metadata\":{\"blob\":\"" + new string('m', 30_000) + "\"}");
                return new("oversized", Utf8(text), true, Outcome.Rejected, tradeNo);
            },
            i =>
            {
                // An existing tradeNo with a bad field, or with other content than the transaction it names.
                var tradeNo = existing[i % existing.Length];
                var text = i % 2 == 0
                    ? Valid(tradeNo, amount: "0")
                    : Valid(tradeNo, amount: (200 + i).ToString(CultureInfo.InvariantCulture));
                return new("existing tradeNo, other content", Utf8(text), true, Outcome.RefusedForExisting, tradeNo);
            },
        };
        var messages = Enumerable.Range(0, count).Select(i => generators[i % generators.Count](i / generators.Count)).ToList();
        // Matching poison copies by their text needs every text to be unique.
        if (messages.Where(m => m.Expected == Outcome.Poisoned).GroupBy(m => m.Text).Any(g => g.Count() > 1))
        {
            throw new InvalidOperationException("Two generated poison messages have the same text.");
        }
        return messages;
    }

    private static async Task<List<(BadMessage Message, string Id)>> SendAsync(
        LoadEnvironment environment,
        List<BadMessage> messages,
        CancellationToken cancellationToken)
    {
        var base64 = environment.Queues.GetQueueClient(environment.PayoutsQueue);
        await base64.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        // What a producer that forgot the encoding sends: the text as it is.
        var plain = new QueueClient(
            environment.Azurite.ConnectionString,
            environment.PayoutsQueue,
            new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        var sent = new ConcurrentBag<(BadMessage, string)>();
        await Parallel.ForEachAsync(
            messages,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (message, token) =>
            {
                var receipt = message.Base64
                    ? await base64.SendMessageAsync(new BinaryData(message.Body), cancellationToken: token)
                    : await plain.SendMessageAsync(message.Text, token);
                sent.Add((message, receipt.Value.MessageId));
            });
        return [.. sent];
    }

    /// <summary>The poison queue's messages, read and deleted, counted by text.</summary>
    private static async Task<Dictionary<string, int>> DrainPoisonAsync(LoadEnvironment environment, CancellationToken cancellationToken)
    {
        var poison = environment.Queues.GetQueueClient(environment.PayoutsQueue + "-poison");
        var texts = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!await poison.ExistsAsync(cancellationToken))
        {
            return texts;
        }
        for (var round = 0; round < 10_000; round++)
        {
            QueueMessage[] batch = (await poison.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5), cancellationToken)).Value;
            if (batch.Length == 0)
            {
                break;
            }
            foreach (var message in batch)
            {
                var text = message.Body.ToString();
                texts[text] = texts.GetValueOrDefault(text) + 1;
                await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
            }
        }
        return texts;
    }

    /// <summary>What the app wrote to the audit trail about messages without a transaction (those it poisoned, with their
    /// reasons).</summary>
    private static async Task<List<string>> PoisonReasonsAsync(LoadEnvironment environment, CancellationToken cancellationToken)
    {
        var audit = environment.Tables.GetTableClient(environment.AuditTable);
        var details = new List<string>();
        try
        {
            await foreach (var entity in audit.QueryAsync<TableEntity>(
                filter: "PartitionKey eq '_unmatched'",
                select: ["Detail"],
                cancellationToken: cancellationToken))
            {
                if (entity.GetString("Detail") is { } detail && detail.StartsWith("message ", StringComparison.Ordinal))
                {
                    details.Add(detail);
                }
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
        }
        return details;
    }
}
