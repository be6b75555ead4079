using System.Text.RegularExpressions;

namespace Paypro.Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed partial class TemplateSecretTests(InfraFixture fixture)
{
    [Fact]
    public void Template_never_reads_keys_or_secrets_of_a_resource()
    {
        var calls = ListFunction().Matches(fixture.Template.Text).Select(match => match.Value).Distinct().ToArray();
        Assert.True(calls.Length == 0, $"The template calls {string.Join(", ", calls)}, which returns keys or secrets.");
    }

    [Fact]
    public void Template_has_no_connection_string_or_account_key_anywhere()
    {
        Assert.DoesNotContain("AccountKey", fixture.Template.Text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("DefaultEndpointsProtocol", fixture.Template.Text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("StorageAccountConnectionString", fixture.Template.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Parameter_file_holds_only_the_expected_non_secret_values()
    {
        var parameters = fixture.Parameters.RootElement.GetProperty("parameters").EnumerateObject()
            .Select(parameter => parameter.Name)
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.Equal(
            [
                "alertEmail",
                "auditPurgeSchedule",
                "auditRetentionDays",
                "environmentName",
                "merchantNo",
                "namePrefix",
                "notifyAllowedIpRanges",
                "notifyUnsignedPolicy",
                "payproBaseUrl",
                "pollSchedule",
                "reconcileDays",
                "reconcileMaxConcurrency",
                "reconcileSchedule",
                "saltPosition",
                "storageSkuName",
                "submitAllowedIpRanges",
                "submitHttpEnabled",
            ],
            parameters);
        Assert.All(
            fixture.Parameters.RootElement.GetProperty("parameters").EnumerateObject(),
            parameter => Assert.False(
                parameter.Value.TryGetProperty("reference", out _),
                $"Parameter {parameter.Name} reads a Key Vault secret at deployment time."));
    }

    [Fact]
    public void Outputs_give_the_app_and_the_shape_of_the_notify_url_without_its_key()
    {
        var outputs = fixture.Template.Root.GetProperty("outputs");
        Assert.Equal("[variables('names').functionApp]", outputs.GetProperty("functionAppName").GetProperty("value").GetString());
        Assert.Equal(
            "[reference('functionApp').outputs.defaultHostName.value]",
            outputs.GetProperty("functionAppHostName").GetProperty("value").GetString());
        Assert.Equal(
            "[format('https://{0}/api/paypro/notify?code=<function key>', reference('functionApp').outputs.defaultHostName.value)]",
            outputs.GetProperty("notifyUrlTemplate").GetProperty("value").GetString());
        Assert.All(
            outputs.EnumerateObject(),
            output => Assert.Equal("string", output.Value.GetProperty("type").GetString()));
    }

    [GeneratedRegex(@"\blist[A-Za-z]*\(", RegexOptions.IgnoreCase)]
    private static partial Regex ListFunction();
}
