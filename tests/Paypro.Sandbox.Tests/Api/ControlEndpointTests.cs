using System.Net;
using System.Text;
using System.Text.Json;
using Paypro.Sandbox.Tests.Infrastructure;

namespace Paypro.Sandbox.Tests.Api;

/// <summary>The <c>/_sandbox/...</c> endpoints drive and inspect the sandbox over HTTP, and only when enabled.</summary>
public sealed class ControlEndpointTests
{
    [Theory]
    [InlineData("GET", "_sandbox/ledger")]
    [InlineData("POST", "_sandbox/reset")]
    [InlineData("GET", "_sandbox/faults")]
    [InlineData("POST", "_sandbox/faults")]
    [InlineData("DELETE", "_sandbox/faults")]
    [InlineData("GET", "_sandbox/callbacks")]
    [InlineData("POST", "_sandbox/payouts/T1/state")]
    [InlineData("POST", "_sandbox/payouts/T1/redeliver")]
    [InlineData("POST", "_sandbox/payouts/T1/amount")]
    [InlineData("POST", "_sandbox/payouts/T1/forget")]
    [InlineData("GET", "_sandbox/settings")]
    [InlineData("PUT", "_sandbox/settings")]
    public async Task Control_endpoints_are_not_found_unless_enabled(string method, string path)
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.ControlEnabled = false);
        await sandbox.Client.PayoutAsync("T1", TestMobiles.Success);

        using var response = await SendAsync(sandbox, method, path, "{\"kind\":\"HttpError\",\"status\":\"0000\",\"signCallbacks\":false}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(sandbox.Host.Faults.Active);
        Assert.True(sandbox.Host.Options.SignCallbacks);
        Assert.Single(sandbox.Host.Ledger.Entries);
    }

    [Fact]
    public async Task Ledger_lists_entries_requests_and_balance()
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.InitialBalance = 1000);
        await sandbox.Client.PayoutAsync("C-1", TestMobiles.ImmediateSuccess, amount: "100");
        await sandbox.Client.PayoutAsync("C-1", TestMobiles.ImmediateSuccess, amount: "100");

        using var ledger = await GetJsonAsync(sandbox, "_sandbox/ledger");
        var root = ledger.RootElement;

        Assert.Equal(900, root.GetProperty("balance").GetProperty("availableAmount").GetInt64());
        var entry = Assert.Single(root.GetProperty("entries").EnumerateArray());
        Assert.Equal("C-1", entry.GetProperty("tradeNo").GetString());
        Assert.Equal("Payout", entry.GetProperty("kind").GetString());
        Assert.Equal(100, entry.GetProperty("amount").GetInt64());
        Assert.Equal(TestMobiles.ImmediateSuccess, entry.GetProperty("mobile").GetString());
        Assert.Equal("0000", entry.GetProperty("status").GetString());
        Assert.Equal(10, entry.GetProperty("mpesaReceiptNumber").GetString()!.Length);
        Assert.Equal(["0000", "8000"], root.GetProperty("requests").EnumerateArray().Select(r => r.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task Reset_over_http_empties_the_ledger()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        await sandbox.Client.PayoutAsync("R-1", TestMobiles.Success);

        using var response = await sandbox.Client.Http.PostAsync("_sandbox/reset", null);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(sandbox.Host.Ledger.Entries);
    }

    [Fact]
    public async Task Faults_can_be_added_listed_and_removed_over_http()
    {
        await using var sandbox = await TestSandbox.StartAsync();

        using var added = await SendAsync(
            sandbox,
            "POST",
            "_sandbox/faults",
            """{"endpoint":"/api/payout","kind":"executeThenTimeout","count":2}""");
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        using var body = JsonDocument.Parse(await added.Content.ReadAsStringAsync());
        var fault = Assert.Single(body.RootElement.GetProperty("faults").EnumerateArray());
        Assert.Equal("ExecuteThenTimeout", fault.GetProperty("kind").GetString());
        Assert.Equal(2, fault.GetProperty("remaining").GetInt32());
        var status = Assert.Single(sandbox.Host.Faults.Active);
        Assert.Equal(FaultKind.ExecuteThenTimeout, status.Fault.Kind);
        Assert.Equal(PayproPaths.Payout, status.Fault.Endpoint);

        using var latency = await SendAsync(
            sandbox,
            "POST",
            "_sandbox/faults",
            """{"kind":"Latency","delay":"00:00:00.250","probability":0.5}""");
        Assert.Equal(HttpStatusCode.Created, latency.StatusCode);
        Assert.Equal(TimeSpan.FromMilliseconds(250), sandbox.Host.Faults.Active[1].Fault.Delay);

        using var listed = await GetJsonAsync(sandbox, "_sandbox/faults");
        Assert.Equal(2, listed.RootElement.GetProperty("faults").GetArrayLength());

        using var removed = await SendAsync(sandbox, "DELETE", $"_sandbox/faults/{status.Id}", null);
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        using var again = await SendAsync(sandbox, "DELETE", $"_sandbox/faults/{status.Id}", null);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        using var cleared = await SendAsync(sandbox, "DELETE", "_sandbox/faults", null);
        Assert.Equal(HttpStatusCode.NoContent, cleared.StatusCode);
        Assert.Empty(sandbox.Host.Faults.Active);
    }

    [Theory]
    [InlineData("""{"kind":"Explode"}""", "kind must be one of")]
    [InlineData("""{"kind":"3"}""", "kind must be one of")]
    [InlineData("""{"endpoint":"/api/payout"}""", "kind is required")]
    [InlineData("""{"kind":"HttpError","count":"two"}""", "count must be a whole number")]
    [InlineData("""{"kind":"Latency","delay":"soon"}""", "delay must be a duration")]
    [InlineData("""{"kind":"Latency"}""", "Delay must be positive")]
    [InlineData("""{"kind":"HttpError","colour":"red"}""", "Unknown property")]
    [InlineData("""{"kind":"HttpError","statusCode":200}""", "StatusCode")]
    [InlineData("""[1]""", "must be a JSON object")]
    [InlineData("""{"kind":""", "not valid JSON")]
    public async Task A_bad_fault_over_http_gets_400_and_changes_nothing(string body, string message)
    {
        await using var sandbox = await TestSandbox.StartAsync();

        using var response = await SendAsync(sandbox, "POST", "_sandbox/faults", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains(message, error.RootElement.GetProperty("error").GetString());
        Assert.Empty(sandbox.Host.Faults.Active);
    }

    [Fact]
    public async Task Callback_log_over_http_shows_notifications_and_attempts()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        await sandbox.Client.PayoutAsync("CB-1", TestMobiles.ImmediateSuccess);
        await sandbox.DeliveredCallbackAsync("CB-1");

        using var log = await GetJsonAsync(sandbox, "_sandbox/callbacks");

        var notification = Assert.Single(log.RootElement.GetProperty("notifications").EnumerateArray());
        Assert.Equal("Delivered", notification.GetProperty("state").GetString());
        Assert.Contains("\"tradeNo\":\"CB-1\"", notification.GetProperty("body").GetString());
        var attempt = Assert.Single(log.RootElement.GetProperty("attempts").EnumerateArray());
        Assert.Equal("Delivered", attempt.GetProperty("outcome").GetString());
        Assert.Equal(200, attempt.GetProperty("statusCode").GetInt32());
        Assert.DoesNotContain(CallbackReceiver.FunctionKey, attempt.GetProperty("target").GetString());
    }

    [Fact]
    public async Task Setting_a_final_state_by_hand_updates_queries_and_sends_a_callback()
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.SuccessDelay = TimeSpan.FromDays(30));
        await sandbox.Client.PayoutAsync("S-1", TestMobiles.Success);

        using var response = await SendAsync(
            sandbox,
            "POST",
            "_sandbox/payouts/S-1/state",
            """{"status":"00029","message":"REJECTED_TRANSACTION"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("00029", (await sandbox.Client.QueryPayoutAsync("S-1")).DataString("status"));
        Assert.Equal("00029", (await sandbox.DeliveredCallbackAsync("S-1")).Fields["status"]);
    }

    [Fact]
    public async Task A_contradicting_result_can_be_set_after_a_final_one()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        await sandbox.Client.PayoutAsync("S-2", TestMobiles.ImmediateSuccess);
        await sandbox.DeliveredCallbackAsync("S-2");

        using var response = await SendAsync(sandbox, "POST", "_sandbox/payouts/S-2/state", """{"status":"00031"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Eventually.UntilAsync(() => sandbox.Receiver.Received.Count == 2, "the contradicting callback arrives");
        Assert.Equal(["0000", "00031"], sandbox.Receiver.Received.Select(r => r.Fields["status"]));
        Assert.Equal("INSUFFICIENT_BALANCE", sandbox.Receiver.Received[1].Fields["message"]);
    }

    [Fact]
    public async Task A_state_change_without_notify_sends_nothing()
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.SuccessDelay = TimeSpan.FromDays(30));
        await sandbox.Client.PayinAsync("S-3", TestMobiles.Success, sandbox.Receiver.NotifyUrl);

        using var response = await SendAsync(sandbox, "POST", "_sandbox/payins/S-3/state", """{"status":"0000","notify":false}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("0000", sandbox.Host.Ledger.Find(SandboxTransactionKind.Payin, "S-3")!.Status);
        Assert.Empty(sandbox.Host.Callbacks);
    }

    [Fact]
    public async Task An_amount_change_after_a_final_state_is_what_queries_answer_and_sends_no_callback_unless_asked()
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.InitialBalance = 1000);
        await sandbox.Client.PayoutAsync("A-1", TestMobiles.ImmediateSuccess, amount: "100");
        await sandbox.DeliveredCallbackAsync("A-1");

        using var response = await SendAsync(sandbox, "POST", "_sandbox/payouts/A-1/amount", """{"amount":150}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var query = await sandbox.Client.QueryPayoutAsync("A-1");
        Assert.Equal("0000", query.DataString("status"));
        Assert.StartsWith("150", query.Data.GetProperty("amount").GetRawText().Trim('"'), StringComparison.Ordinal);
        Assert.Equal(850, sandbox.Host.Ledger.Balance.AvailableAmount);
        Assert.Single(sandbox.Host.Callbacks);
    }

    [Fact]
    public async Task A_forgotten_tradeNo_is_answered_not_found_and_stays_in_the_ledger()
    {
        await using var sandbox = await TestSandbox.StartAsync();
        await sandbox.Client.PayoutAsync("F-1", TestMobiles.ImmediateSuccess);

        using var response = await SendAsync(sandbox, "POST", "_sandbox/payouts/F-1/forget", "");
        using var again = await SendAsync(sandbox, "POST", "_sandbox/payouts/F-1/forget", "");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal("8000", (await sandbox.Client.QueryPayoutAsync("F-1")).Code);
        Assert.Single(sandbox.Host.Ledger.Entries, e => e.TradeNo == "F-1");
    }

    [Theory]
    [InlineData("payouts", """{"amount":0}""", HttpStatusCode.BadRequest)]
    [InlineData("payouts", """{"amount":"150"}""", HttpStatusCode.BadRequest)]
    [InlineData("payouts", """{}""", HttpStatusCode.BadRequest)]
    [InlineData("payouts", """{"amount":150,"extra":1}""", HttpStatusCode.BadRequest)]
    [InlineData("payins", """{"amount":150}""", HttpStatusCode.NotFound)]
    public async Task A_bad_amount_change_is_refused_and_changes_nothing(string space, string body, HttpStatusCode expected)
    {
        await using var sandbox = await TestSandbox.StartAsync();
        await sandbox.Client.PayoutAsync("A-2", TestMobiles.ImmediateSuccess, amount: "100");

        using var response = await SendAsync(sandbox, "POST", $"_sandbox/{space}/A-2/amount", body);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(100, sandbox.Host.Ledger.Find(SandboxTransactionKind.Payout, "A-2")!.Amount);
    }

    [Theory]
    [InlineData("payouts", """{"status":"0015"}""", HttpStatusCode.BadRequest)]
    [InlineData("payouts", """{"status":"abc"}""", HttpStatusCode.BadRequest)]
    [InlineData("payouts", """{}""", HttpStatusCode.BadRequest)]
    [InlineData("payouts", """{"status":"0000","notify":"yes"}""", HttpStatusCode.BadRequest)]
    [InlineData("payouts", """{"status":"0000","extra":1}""", HttpStatusCode.BadRequest)]
    [InlineData("refunds", """{"status":"0000"}""", HttpStatusCode.NotFound)]
    [InlineData("payins", """{"status":"0000"}""", HttpStatusCode.NotFound)]
    public async Task A_bad_state_change_is_refused_and_changes_nothing(string space, string body, HttpStatusCode expected)
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.SuccessDelay = TimeSpan.FromDays(30));
        await sandbox.Client.PayoutAsync("S-4", TestMobiles.Success);

        using var response = await SendAsync(sandbox, "POST", $"_sandbox/{space}/S-4/state", body);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("0015", sandbox.Host.Ledger.Find(SandboxTransactionKind.Payout, "S-4")!.Status);
        Assert.Empty(sandbox.Host.Callbacks);
    }

    [Fact]
    public async Task Redeliver_sends_the_current_state_again_with_a_fresh_timestamp()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2024, 7, 1, 9, 0, 0, TimeSpan.Zero));
        await using var sandbox = await TestSandbox.StartAsync(o => o.TimeScale = 1, clock);
        await sandbox.Client.PayoutAsync("D-1", TestMobiles.ImmediateSuccess);
        await sandbox.DeliveredCallbackAsync("D-1");
        clock.Advance(TimeSpan.FromMinutes(1));

        using var response = await SendAsync(sandbox, "POST", "_sandbox/payouts/D-1/redeliver", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Eventually.UntilAsync(() => sandbox.Receiver.Received.Count == 2, "the redelivered callback arrives");

        var (first, second) = (sandbox.Receiver.Received[0].Fields, sandbox.Receiver.Received[1].Fields);
        Assert.Equal(first["status"], second["status"]);
        Assert.Equal(first["platFormTradeNo"], second["platFormTradeNo"]);
        Assert.Equal(long.Parse(first["timestamp"]!) + 60_000, long.Parse(second["timestamp"]!));
        Assert.Equal(0, second.MatchSignature([sandbox.Host.Options.AppSecret], SaltPosition.Append));
        using var missing = await SendAsync(sandbox, "POST", "_sandbox/payouts/NOPE/redeliver", null);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Settings_can_be_read_without_the_secret_and_changed_at_run_time()
    {
        await using var sandbox = await TestSandbox.StartAsync(o => o.AppSecret = "a-secret-for-this-test-only");

        using var read = await sandbox.Client.Http.GetAsync("_sandbox/settings");
        var text = await read.Content.ReadAsStringAsync();
        Assert.DoesNotContain("a-secret-for-this-test-only", text);
        Assert.Contains("\"signCallbacks\":true", text);

        using var changed = await SendAsync(
            sandbox,
            "PUT",
            "_sandbox/settings",
            $$"""{"signCallbacks":false,"defaultNotifyUrl":"http://127.0.0.1:9/other","successDelay":"00:00:07"}""");

        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.False(sandbox.Host.Options.SignCallbacks);
        Assert.Equal("http://127.0.0.1:9/other", sandbox.Host.Options.DefaultNotifyUrl);
        Assert.Equal(TimeSpan.FromSeconds(7), sandbox.Host.Options.SuccessDelay);
        Assert.DoesNotContain("a-secret-for-this-test-only", await changed.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("""{"timeScale":0}""", "TimeScale")]
    [InlineData("""{"timeScale":"fast"}""", "timeScale must be a number")]
    [InlineData("""{"defaultNotifyUrl":"not-a-url"}""", "DefaultNotifyUrl")]
    [InlineData("""{"appSecret":""}""", "AppSecret")]
    [InlineData("""{"merchantNo":"1234567890"}""", "read-only")]
    [InlineData("""{"signCallbacks":false,"successDelay":"-00:00:01"}""", "SuccessDelay")]
    public async Task A_bad_settings_change_gets_400_and_changes_nothing(string body, string message)
    {
        await using var sandbox = await TestSandbox.StartAsync();

        using var response = await SendAsync(sandbox, "PUT", "_sandbox/settings", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync());
        Assert.True(sandbox.Host.Options.SignCallbacks);
        Assert.Equal(0.001, sandbox.Host.Options.TimeScale);
        Assert.Equal(SandboxOptions.DevelopmentSecret, sandbox.Host.Options.AppSecret);
    }

    private static async Task<HttpResponseMessage> SendAsync(TestSandbox sandbox, string method, string path, string? body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        return await sandbox.Client.Http.SendAsync(request);
    }

    private static async Task<JsonDocument> GetJsonAsync(TestSandbox sandbox, string path)
    {
        using var response = await sandbox.Client.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }
}
