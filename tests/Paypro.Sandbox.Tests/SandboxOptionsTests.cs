using Microsoft.Extensions.Options;

namespace Paypro.Sandbox.Tests;

/// <summary>Bad settings stop the start with a message naming the setting, never the secret.</summary>
public sealed class SandboxOptionsTests
{
    [Fact]
    public void Defaults_are_valid_local_settings()
    {
        var options = new SandboxOptions();

        Assert.Empty(SandboxOptionsValidator.Check(options));
        Assert.Equal("1000000001", options.MerchantNo);
        Assert.Equal(SandboxOptions.DevelopmentSecret, options.AppSecret);
        Assert.Equal(SaltPosition.Append, options.SaltPosition);
        Assert.Equal(1.0, options.TimeScale);
        Assert.True(options.SignCallbacks);
        Assert.False(options.ControlEnabled);
        Assert.Null(options.DefaultNotifyUrl);
        Assert.Equal("/api/balance", options.BalancePath);
        Assert.Equal(TimeSpan.FromSeconds(5), options.SuccessDelay);
        Assert.Equal(TimeSpan.FromMinutes(10), options.LongProcessingDelay);
    }

    private static readonly Dictionary<string, Action<SandboxOptions>> Breakers = new()
    {
        ["merchant letters"] = o => o.MerchantNo = "10000000AB",
        ["merchant short"] = o => o.MerchantNo = "123",
        ["secret empty"] = o => o.AppSecret = "",
        ["salt unknown"] = o => o.SaltPosition = (SaltPosition)7,
        ["scale zero"] = o => o.TimeScale = 0,
        ["scale NaN"] = o => o.TimeScale = double.NaN,
        ["default url relative"] = o => o.DefaultNotifyUrl = "/notify",
        ["override url ftp"] = o => o.NotifyUrlOverride = "ftp://x.example/notify",
        ["balance negative"] = o => o.InitialBalance = -1,
        ["success delay negative"] = o => o.SuccessDelay = TimeSpan.FromSeconds(-1),
        ["long delay negative"] = o => o.LongProcessingDelay = TimeSpan.FromSeconds(-1),
        ["callback timeout zero"] = o => o.CallbackTimeout = TimeSpan.Zero,
        ["balance path relative"] = o => o.BalancePath = "api/balance",
        ["balance path taken"] = o => o.BalancePath = "/api/payout",
        ["balance path control"] = o => o.BalancePath = "/_sandbox/balance",
        ["fault bad"] = o => o.Faults.Add(new SandboxFault { Kind = FaultKind.Latency }),
    };

    [Theory]
    [InlineData("merchant letters", "Sandbox:MerchantNo")]
    [InlineData("merchant short", "Sandbox:MerchantNo")]
    [InlineData("secret empty", "Sandbox:AppSecret")]
    [InlineData("salt unknown", "Sandbox:SaltPosition")]
    [InlineData("scale zero", "Sandbox:TimeScale")]
    [InlineData("scale NaN", "Sandbox:TimeScale")]
    [InlineData("default url relative", "Sandbox:DefaultNotifyUrl")]
    [InlineData("override url ftp", "Sandbox:NotifyUrlOverride")]
    [InlineData("balance negative", "Sandbox:InitialBalance")]
    [InlineData("success delay negative", "Sandbox:SuccessDelay")]
    [InlineData("long delay negative", "Sandbox:LongProcessingDelay")]
    [InlineData("callback timeout zero", "Sandbox:CallbackTimeout")]
    [InlineData("balance path relative", "Sandbox:BalancePath")]
    [InlineData("balance path taken", "Sandbox:BalancePath")]
    [InlineData("balance path control", "Sandbox:BalancePath")]
    [InlineData("fault bad", "Sandbox:Faults:0.Delay")]
    public async Task A_bad_setting_stops_the_start_naming_the_setting(string breaker, string setting)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SandboxHost.StartAsync(o =>
        {
            o.AppSecret = "never-in-a-message-1234";
            Breakers[breaker](o);
        }));

        Assert.Contains(setting, error.Message);
        Assert.DoesNotContain("never-in-a-message-1234", error.Message);
    }
}
