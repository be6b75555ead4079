using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Paypro.Functions.Configuration;

namespace Paypro.Functions.Tests.Functions;

/// <summary>Settings that would make the app unsafe refuse to start, with a message that names the setting.</summary>
public sealed class StartupSettingsTests
{
    [Theory]
    [InlineData("http://paypro.example/ke-pay")]
    [InlineData("http://10.0.0.5/")]
    public async Task The_app_refuses_a_Paypro_base_url_that_is_plain_http_beyond_loopback(string baseUrl)
    {
        var error = await StartFailsAsync(new() { ["Paypro:BaseUrl"] = baseUrl });

        Assert.Contains("Paypro:BaseUrl", error.Message, StringComparison.Ordinal);
        Assert.Contains("https", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_app_refuses_a_grace_period_that_a_late_create_answer_could_outlast()
    {
        var error = await StartFailsAsync(new() { ["Paypro:RequestTimeout"] = "00:00:30", ["Poll:UnknownGracePeriod"] = "00:01:00" });

        Assert.Contains(
            "Poll:UnknownGracePeriod (00:01:00) must be at least 4 times Paypro:RequestTimeout (00:00:30)",
            error.Message,
            StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:05:00", "00:04:30")]
    [InlineData("00:02:00", "00:01:50")]
    public async Task The_app_refuses_a_poll_time_budget_that_does_not_end_before_the_function_timeout(
        string functionTimeout,
        string timeBudget)
    {
        var error = await StartFailsAsync(new()
        {
            ["AzureFunctionsJobHost:functionTimeout"] = functionTimeout,
            ["Poll:TimeBudget"] = timeBudget,
        });

        Assert.Contains(
            $"Poll:TimeBudget ({timeBudget}) must be shorter than host.json's functionTimeout ({functionTimeout})",
            error.Message,
            StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "00:04:30")]
    [InlineData("00:10:00", "00:09:30")]
    [InlineData("-1", null)]
    public void The_poll_hard_stop_comes_from_host_json_or_its_app_setting_override(string? functionTimeout, string? hardStop)
    {
        var builder = WorkerStartupTests.AppBuilder(new Dictionary<string, string?>
        {
            ["AzureFunctionsJobHost:functionTimeout"] = functionTimeout,
        });
        using var host = builder.Build();

        // Without the override, host.json beside the app says 00:05:00.
        TimeSpan? expected = hardStop is null ? null : TimeSpan.Parse(hardStop, CultureInfo.InvariantCulture);
        Assert.Equal(expected, host.Services.GetRequiredService<FunctionTimeout>().HardStop);
    }

    [Fact]
    public void Money_controls_left_empty_are_off_as_local_settings_sample_json_leaves_them()
    {
        var empty = new Dictionary<string, string?>
        {
            ["Controls:DailyAmountLimit"] = "", ["Controls:DailyCountLimit"] = "", ["Controls:MobileDailyAmountLimit"] = "",
            ["Controls:MobileDailyCountLimit"] = "", ["Controls:ApprovalThreshold"] = "", ["Controls:HoldExpiry"] = "7.00:00:00",
        };
        using var host = WorkerStartupTests.AppBuilder(empty).Build();

        var controls = host.Services.GetRequiredService<IOptions<ControlsOptions>>().Value;

        Assert.Null(controls.DailyAmountLimit);
        Assert.Null(controls.ApprovalThreshold);
        Assert.False(controls.CountsDays);
        Assert.False(controls.CountsMobiles);
        Assert.Equal(TimeSpan.FromDays(7), controls.HoldExpiry);
    }

    [Theory]
    [InlineData("Controls:DailyAmountLimit", "-1", "Controls:DailyAmountLimit must be a whole number of 0 or more")]
    [InlineData("Controls:HoldExpiry", "00:00:00", "Controls:HoldExpiry must be more than zero")]
    public async Task The_app_refuses_a_negative_limit_or_an_empty_hold_expiry_naming_the_setting(
        string setting,
        string value,
        string message)
    {
        var error = await StartFailsAsync(new() { [setting] = value });

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_annotation_and_a_check_written_by_hand_are_both_reported()
    {
        var error = await StartFailsAsync(new() { ["Notify:MaxBodyBytes"] = "1", ["Notify:AllowedIpRanges"] = "10.0.0.0/8,nonsense" });

        var failures = Assert.IsType<OptionsValidationException>(error).Failures.ToList();
        Assert.Equal(2, failures.Count);
        Assert.Equal("MaxBodyBytes: Notify:MaxBodyBytes must be between 512 and 1048576.", failures[0]);
        Assert.Equal("Notify:AllowedIpRanges has an entry that is neither an IP address nor a CIDR range: 'nonsense'.", failures[1]);
    }

    [Theory]
    [InlineData("Notify:MaxBodyBytes", "511", "MaxBodyBytes: Notify:MaxBodyBytes must be between 512 and 1048576.")]
    [InlineData("Submit:MaxBodyBytes", "1048577", "MaxBodyBytes: Submit:MaxBodyBytes must be between 512 and 1048576.")]
    [InlineData("Poll:MaxConcurrency", "0", "MaxConcurrency: Poll:MaxConcurrency must be between 1 and 64.")]
    [InlineData("Poll:BatchSize", "5001", "BatchSize: Poll:BatchSize must be between 1 and 5000.")]
    [InlineData("Reconcile:MaxConcurrency", "65", "MaxConcurrency: Reconcile:MaxConcurrency must be between 1 and 64.")]
    [InlineData("Audit:RetentionDays", "29", "RetentionDays: Audit:RetentionDays must be between 30 and 36500.")]
    [InlineData("Audit:MaxDeletesPerRun", "99", "MaxDeletesPerRun: Audit:MaxDeletesPerRun must be between 100 and 1000000.")]
    public async Task A_setting_out_of_its_range_is_refused_naming_the_setting(string setting, string value, string message)
    {
        var error = await StartFailsAsync(new() { [setting] = value });

        Assert.Equal([message], Assert.IsType<OptionsValidationException>(error).Failures);
    }

    [Fact]
    public async Task A_wrong_queue_name_stops_start_up_naming_the_setting_and_not_registration()
    {
        using var host = WorkerStartupTests.AppBuilder(new Dictionary<string, string?> { ["PayoutsQueueName"] = "Paypro_Payouts" }).Build();

        var error = await Record.ExceptionAsync(() => host.StartAsync());

        var refused = Assert.IsType<OptionsValidationException>(error);
        Assert.Equal(
            [
                "PayoutsQueueName 'Paypro_Payouts' is not a valid queue name: 3-56 lowercase letters, digits and single dashes"
                    + " (the '-poison' queue must fit in 63).",
            ],
            refused.Failures);
    }

    [Fact]
    public void Queue_names_left_blank_take_the_defaults_and_others_are_trimmed()
    {
        using var host = WorkerStartupTests.AppBuilder(
            new Dictionary<string, string?>
            {
                ["PayoutsQueueName"] = " ",
                ["PayinsQueueName"] = " my-payins ",
                ["EventsQueueName"] = "",
            }).Build();

        var names = host.Services.GetRequiredService<QueueNames>();

        Assert.Equal((QueueNames.DefaultPayouts, "my-payins", QueueNames.DefaultEvents), (names.Payouts, names.Payins, names.Events));
    }

    [Fact]
    public async Task The_default_settings_start()
    {
        using var host = WorkerStartupTests.AppBuilder(new Dictionary<string, string?>()).Build();
        await host.StartAsync();
        await host.StopAsync();
    }

    /// <summary>Start-up fails on validation: one settings error, or several (each validator that refuses adds its own).</summary>
    private static async Task<Exception> StartFailsAsync(Dictionary<string, string?> settings)
    {
        using var host = WorkerStartupTests.AppBuilder(settings).Build();
        var error = await Record.ExceptionAsync(() => host.StartAsync());
        Assert.NotNull(error);
        Assert.All(error is AggregateException many ? many.InnerExceptions : [error], e => Assert.IsType<OptionsValidationException>(e));
        return error;
    }
}
