namespace Paypro.Infra.Tests;

/// <summary>
/// The money controls on payouts (Controls__*): optional parameters, all off when unset, each
/// becoming its app setting only when it is set.
/// </summary>
[Collection(InfraCollection.Name)]
public sealed class MoneyControlsTests(InfraFixture fixture)
{
    private const string SettingPrefix = "Controls__";

    /// <summary>Each parameter and the app setting it becomes.</summary>
    public static TheoryData<string, string> Controls => new()
    {
        { "dailyPayoutAmountLimit", "Controls__DailyAmountLimit" },
        { "dailyPayoutCountLimit", "Controls__DailyCountLimit" },
        { "mobileDailyPayoutAmountLimit", "Controls__MobileDailyAmountLimit" },
        { "mobileDailyPayoutCountLimit", "Controls__MobileDailyCountLimit" },
        { "payoutApprovalThreshold", "Controls__ApprovalThreshold" },
        { "payoutHoldExpiry", "Controls__HoldExpiry" },
    };

    [Theory]
    [MemberData(nameof(Controls))]
    public void Each_control_is_an_optional_parameter_that_names_its_app_setting(string parameter, string setting)
    {
        var declared = fixture.Template.Root.GetProperty("parameters").GetProperty(parameter);
        var nullable = declared.TryGetProperty("nullable", out var isNullable) && isNullable.GetBoolean();
        var emptyByDefault = declared.TryGetProperty("defaultValue", out var defaultValue) && defaultValue.GetString() == string.Empty;
        Assert.True(nullable ^ emptyByDefault, $"Parameter {parameter} is {declared}: neither nullable nor empty by default.");
        Assert.Equal(nullable ? "int" : "string", declared.GetProperty("type").GetString());
        if (nullable)
        {
            // 0 is a real limit (hold every payout), so only a negative number is refused.
            Assert.Equal(0, declared.GetProperty("minValue").GetInt32());
        }

        Assert.Contains($"{setting}", declared.GetProperty("metadata").GetProperty("description").GetString(), StringComparison.Ordinal);

        // The function app module takes it as it is.
        var module = fixture.Template.Resources.Single(resource => resource.SymbolicName == "functionApp");
        Assert.Equal($"[parameters('{parameter}')]", module.Get($"properties.parameters.{parameter}.value").GetString());

        // main.bicepparam leaves it unset and shows how to set it.
        Assert.False(
            fixture.Parameters.RootElement.GetProperty("parameters").TryGetProperty(parameter, out _),
            $"main.bicepparam sets {parameter}.");
        Assert.Matches(
            $@"(?m)^// param {parameter} = \S",
            File.ReadAllText(Path.Combine(BicepCli.InfraDirectory, "main.bicepparam")));
    }

    [Fact]
    public void A_deployment_that_sets_no_control_sets_no_controls_app_setting()
    {
        var controls = fixture.Snapshot.AppSettings.Keys.Where(name => name.StartsWith(SettingPrefix, StringComparison.Ordinal));
        Assert.Empty(controls);
    }

    [Fact]
    public void Each_control_that_is_set_becomes_its_app_setting_with_the_value_given()
    {
        var snapshot = fixture.TakeSnapshot("every-control", new Dictionary<string, string>
        {
            ["dailyPayoutAmountLimit"] = "2000000",
            ["dailyPayoutCountLimit"] = "750",
            ["mobileDailyPayoutAmountLimit"] = "150000",
            ["mobileDailyPayoutCountLimit"] = "6",
            ["payoutApprovalThreshold"] = "70000",
            ["payoutHoldExpiry"] = "'3.12:00:00'",
        });

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["Controls__ApprovalThreshold"] = "70000",
                ["Controls__DailyAmountLimit"] = "2000000",
                ["Controls__DailyCountLimit"] = "750",
                ["Controls__HoldExpiry"] = "3.12:00:00",
                ["Controls__MobileDailyAmountLimit"] = "150000",
                ["Controls__MobileDailyCountLimit"] = "6",
            },
            ControlsOf(snapshot));

        // Every other setting stays what it is without the controls.
        Assert.Equal(
            fixture.Snapshot.AppSettings.OrderBy(setting => setting.Key, StringComparer.Ordinal),
            snapshot.AppSettings
                .Where(setting => !setting.Key.StartsWith(SettingPrefix, StringComparison.Ordinal))
                .OrderBy(setting => setting.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void Setting_one_control_sets_that_app_setting_alone_and_zero_counts_as_set()
    {
        var snapshot = fixture.TakeSnapshot("threshold-zero", new Dictionary<string, string>
        {
            ["payoutApprovalThreshold"] = "0",
        });

        Assert.Equal(new Dictionary<string, string> { ["Controls__ApprovalThreshold"] = "0" }, ControlsOf(snapshot));
    }

    [Fact]
    public void A_negative_limit_is_refused_before_anything_is_deployed()
    {
        var directory = Path.Combine(fixture.OutputDirectory, "negative-limit");
        Directory.CreateDirectory(directory);
        var text = File.ReadAllText(Path.Combine(BicepCli.InfraDirectory, "main.bicepparam"))
            .Replace(
                "using './main.bicep'",
                $"using '{Path.GetRelativePath(directory, Path.Combine(BicepCli.InfraDirectory, "main.bicep")).Replace('\\', '/')}'",
                StringComparison.Ordinal)
            .Replace("// param dailyPayoutCountLimit = ", "param dailyPayoutCountLimit = -1 // ", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(directory, "main.bicepparam"), text);

        var run = BicepCli.Run(
            ["build-params", "main.bicepparam", "--stdout", "--no-restore"],
            directory,
            InfraFixture.DeploymentEnvironment);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("minimum allowable value is 0", run.Output, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> ControlsOf(DeploymentSnapshot snapshot) =>
        snapshot.AppSettings.Where(setting => setting.Key.StartsWith(SettingPrefix, StringComparison.Ordinal))
            .ToDictionary(setting => setting.Key, setting => setting.Value);
}
