using System.Text.Json;

namespace Paypro.Infra.Tests;

/// <summary>
/// Compiles the templates once for every test: bicep build of main.bicep, bicep build-params of
/// main.bicepparam, bicep lint of every file and bicep snapshot of main.bicepparam run side by side
/// in a temporary folder.
/// </summary>
public sealed class InfraFixture : IDisposable
{
    /// <summary>What a merchant exports before deploying; main.bicepparam reads these.</summary>
    public static readonly IReadOnlyDictionary<string, string?> DeploymentEnvironment = new Dictionary<string, string?>
    {
        ["PAYPRO_MERCHANT_NO"] = "2500000001",
        ["PAYPRO_BASE_URL"] = "https://paypro.invalid/",
        ["PAYPRO_ALERT_EMAIL"] = "payments-team@merchant.invalid",
    };

    private readonly Task<BicepRun> build;
    private readonly Task<BicepRun> buildParams;
    private readonly Task<BicepRun> lint;
    private readonly Task<DeploymentSnapshot> snapshot;
    private readonly Lazy<ArmTemplate> template;
    private readonly Lazy<JsonDocument> parameters;

    public InfraFixture()
    {
        OutputDirectory = Directory.CreateTempSubdirectory("paypro-infra-").FullName;
        TemplatePath = Path.Combine(OutputDirectory, "main.json");
        ParametersPath = Path.Combine(OutputDirectory, "main.parameters.json");

        // --no-restore everywhere: the templates use no registry modules, and without it the CLI
        // looks up the public module index on the network before every build and lint.
        build = Task.Run(() => BicepCli.Run(
            ["build", "main.bicep", "--outfile", TemplatePath, "--no-restore"],
            BicepCli.InfraDirectory));
        buildParams = Task.Run(() => BicepCli.Run(
            ["build-params", "main.bicepparam", "--outfile", ParametersPath, "--no-restore"],
            BicepCli.InfraDirectory,
            DeploymentEnvironment));
        lint = Task.Run(() => LintAll(BicepCli.InfraDirectory));
        snapshot = Task.Run(() => DeploymentSnapshot.Take(Path.Combine(OutputDirectory, "snapshot")));

        parameters = new Lazy<JsonDocument>(() =>
        {
            BuildParams.AssertClean();
            return JsonDocument.Parse(File.ReadAllText(ParametersPath));
        });
        template = new Lazy<ArmTemplate>(() =>
        {
            Build.AssertClean();
            return ArmTemplate.Parse(
                File.ReadAllText(TemplatePath),
                parameters.Value.RootElement.GetProperty("parameters"));
        });
    }

    public string OutputDirectory { get; }

    public string TemplatePath { get; }

    public string ParametersPath { get; }

    public BicepRun Build => build.GetAwaiter().GetResult();

    public BicepRun BuildParams => buildParams.GetAwaiter().GetResult();

    /// <summary>bicep lint of every .bicep file under infra-bicep, modules included.</summary>
    public BicepRun Lint => lint.GetAwaiter().GetResult();

    /// <summary>main.json with main.bicepparam's values, which the tests query.</summary>
    public ArmTemplate Template => template.Value;

    /// <summary>The parameters file build-params produced from main.bicepparam.</summary>
    public JsonDocument Parameters => parameters.Value;

    /// <summary>What deploying main.bicepparam as it is would send to Azure.</summary>
    public DeploymentSnapshot Snapshot => snapshot.GetAwaiter().GetResult();

    /// <summary>What deploying main.bicepparam with some parameters set otherwise would send to Azure.</summary>
    public DeploymentSnapshot TakeSnapshot(string name, IReadOnlyDictionary<string, string> parameters) =>
        DeploymentSnapshot.Take(Path.Combine(OutputDirectory, $"snapshot-{name}"), parameters);

    /// <summary>Lints every .bicep file under <paramref name="directory"/> in one CLI run.</summary>
    public static BicepRun LintAll(string directory) =>
        BicepCli.Run(["lint", "--pattern", "**/*.bicep", "--no-restore"], directory);

    public void Dispose()
    {
        // Runs still writing into the folder finish first; their failures were already reported
        // by the tests that read them.
        try
        {
            Task.WaitAll([build, buildParams, lint, snapshot], TimeSpan.FromMinutes(3));
        }
        catch (AggregateException)
        {
        }
        if (parameters.IsValueCreated)
        {
            parameters.Value.Dispose();
        }

        if (template.IsValueCreated)
        {
            template.Value.Document.Dispose();
        }

        Directory.Delete(OutputDirectory, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class InfraCollection : ICollectionFixture<InfraFixture>
{
    public const string Name = "Compiled infrastructure";
}
