using System.Text.Json;

namespace Paypro.Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class CompilationTests(InfraFixture fixture)
{
    [Fact]
    public void Main_template_builds_without_a_single_diagnostic()
    {
        fixture.Build.AssertClean();
        Assert.True(File.Exists(fixture.TemplatePath), $"bicep build wrote no {fixture.TemplatePath}.");
        Assert.Equal(
            "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            fixture.Template.Root.GetProperty("$schema").GetString());
    }

    [Fact]
    public void Every_bicep_file_lints_without_a_single_diagnostic()
    {
        var files = Directory.EnumerateFiles(BicepCli.InfraDirectory, "*.bicep", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(BicepCli.InfraDirectory, path).Replace('\\', '/'))
            .Order()
            .ToArray();
        Assert.Equal(
            [
                "main.bicep",
                "modules/alerts.bicep",
                "modules/dashboard.bicep",
                "modules/functionapp.bicep",
                "modules/identity.bicep",
                "modules/keyvault.bicep",
                "modules/monitoring.bicep",
                "modules/roles.bicep",
                "modules/storage.bicep",
            ],
            files);

        fixture.Lint.AssertClean();
    }

    [Fact]
    public void Parameter_file_builds_without_a_single_diagnostic()
    {
        // build-params runs the linter on the parameter file too.
        fixture.BuildParams.AssertClean();
        Assert.Equal(
            InfraFixture.DeploymentEnvironment["PAYPRO_MERCHANT_NO"],
            fixture.Parameters.RootElement.GetProperty("parameters").GetProperty("merchantNo").GetProperty("value").GetString());
    }

    [Fact]
    public void Linter_reports_findings_in_every_file_as_errors()
    {
        // Proves the lint run covers the modules and that bicepconfig.json is in force: a copy of
        // the templates with an undocumented, unused parameter in each file must fail on each.
        var copy = Directory.CreateTempSubdirectory("paypro-infra-lint-").FullName;
        try
        {
            foreach (var source in Directory.EnumerateFiles(BicepCli.InfraDirectory, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(copy, Path.GetRelativePath(BicepCli.InfraDirectory, source));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(source, target);
            }

            var files = Directory.EnumerateFiles(copy, "*.bicep", SearchOption.AllDirectories).ToArray();
            foreach (var file in files)
            {
                File.AppendAllText(file, $"{Environment.NewLine}param lintProbe string{Environment.NewLine}");
            }

            var run = InfraFixture.LintAll(copy);

            Assert.NotEqual(0, run.ExitCode);
            foreach (var file in files)
            {
                Assert.Contains(
                    run.Diagnostics,
                    line => line.StartsWith(file + "(", StringComparison.Ordinal)
                        && line.Contains(" : Error no-unused-params:", StringComparison.Ordinal));
                Assert.Contains(
                    run.Diagnostics,
                    line => line.StartsWith(file + "(", StringComparison.Ordinal)
                        && line.Contains(" : Error use-description-params:", StringComparison.Ordinal));
            }
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public void Bicep_config_sets_every_core_rule_to_error()
    {
        using var config = JsonDocument.Parse(
            File.ReadAllText(Path.Combine(BicepCli.InfraDirectory, "bicepconfig.json")),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        var core = config.RootElement.GetProperty("analyzers").GetProperty("core");
        Assert.True(core.GetProperty("enabled").GetBoolean());

        var rules = core.GetProperty("rules").EnumerateObject()
            .ToDictionary(rule => rule.Name, rule => rule.Value.GetProperty("level").GetString());

        // Off only because it queries the public module registry, and no registry module is used.
        Assert.Equal("off", rules["use-recent-module-versions"]);
        var notErrors = rules.Where(rule => rule.Key != "use-recent-module-versions" && rule.Value != "error").ToArray();
        Assert.True(
            notErrors.Length == 0,
            $"Rules below error: {string.Join(", ", notErrors.Select(rule => $"{rule.Key}={rule.Value}"))}.");
        Assert.True(rules.Count >= 50, $"Only {rules.Count} rules are configured; the core analyzer has more.");
        Assert.Contains("use-recent-api-versions", rules.Keys);
        Assert.Contains("outputs-should-not-contain-secrets", rules.Keys);
        Assert.Contains("no-hardcoded-env-urls", rules.Keys);
    }

    [Fact]
    public void Parameter_file_fails_by_name_when_a_required_environment_variable_is_missing()
    {
        var environment = new Dictionary<string, string?>(InfraFixture.DeploymentEnvironment)
        {
            ["PAYPRO_BASE_URL"] = null,
        };

        var run = BicepCli.Run(["build-params", "main.bicepparam", "--stdout", "--no-restore"], BicepCli.InfraDirectory, environment);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("\"PAYPRO_BASE_URL\" does not exist", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("PAYPRO_MERCHANT_NO", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Parameter_file_refuses_a_merchant_number_that_is_not_ten_characters()
    {
        var environment = new Dictionary<string, string?>(InfraFixture.DeploymentEnvironment)
        {
            ["PAYPRO_MERCHANT_NO"] = "250000001",
        };

        var run = BicepCli.Run(["build-params", "main.bicepparam", "--stdout", "--no-restore"], BicepCli.InfraDirectory, environment);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("minimum allowable length is 10", run.Output, StringComparison.Ordinal);
    }
}
