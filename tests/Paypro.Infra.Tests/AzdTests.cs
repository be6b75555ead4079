using System.Text.Json;

namespace Paypro.Infra.Tests;

/// <summary>azure.yaml and what azd needs of the templates: the tagged app, the outputs, the environment name.</summary>
[Collection(InfraCollection.Name)]
public sealed class AzdTests(InfraFixture fixture)
{
    private readonly AzureYaml yaml = AzureYaml.Load();

    private string ServiceName => Assert.Single(yaml.Children("services"));

    [Fact]
    public void Azure_yaml_deploys_one_dotnet_function_service_with_the_bicep_templates()
    {
        Assert.False(string.IsNullOrWhiteSpace(yaml["name"]), "azure.yaml has no name.");
        var service = ServiceName;
        Assert.Equal("./src/Paypro.Functions", yaml[$"services.{service}.project"]);
        Assert.Equal("dotnet", yaml[$"services.{service}.language"]);
        Assert.Equal("function", yaml[$"services.{service}.host"]);
        Assert.Equal("bicep", yaml["infra.provider"]);
        Assert.Equal("infra-bicep", yaml["infra.path"]);
        Assert.Equal("main", yaml["infra.module"]);
    }

    [Fact]
    public void Every_path_azure_yaml_names_exists_in_the_repository()
    {
        var project = AzureYaml.ResolvePath(yaml[$"services.{ServiceName}.project"]!);
        Assert.True(Directory.Exists(project), $"The service project folder {project} does not exist.");
        var projectFiles = Directory.GetFiles(project, "*.csproj", SearchOption.TopDirectoryOnly);
        Assert.True(projectFiles.Length == 1, $"azd builds the one .csproj in {project}; it holds {projectFiles.Length}.");

        var infra = AzureYaml.ResolvePath(yaml["infra.path"]!);
        Assert.True(Directory.Exists(infra), $"The infra folder {infra} does not exist.");
        Assert.Equal(Path.GetFullPath(BicepCli.InfraDirectory), infra);

        var module = Path.Combine(infra, $"{yaml["infra.module"]}.bicep");
        Assert.True(File.Exists(module), $"The infra module {module} does not exist.");

        // azd deploys <module>.bicepparam instead of <module>.bicep when there is one: the file the
        // fixture builds with the merchant's environment.
        Assert.True(File.Exists(Path.ChangeExtension(module, ".bicepparam")), $"{module} has no parameter file beside it.");
    }

    [Fact]
    public void Function_app_is_the_one_resource_tagged_with_the_service_name_of_azure_yaml()
    {
        var app = fixture.Template.Single("Microsoft.Web/sites");
        Assert.Equal(
            "[union(parameters('tags'), createObject('azd-service-name', parameters('azdServiceName')))]",
            app.Get("tags").GetString());
        Assert.Equal(ServiceName, app.Scope.ResolveString("[parameters('azdServiceName')]"));

        var tagged = fixture.Template.Resources
            .Where(resource => resource.Find("tags") is { } tags
                && tags.GetRawText().Contains("azd-service-name", StringComparison.Ordinal))
            .ToArray();
        Assert.Same(app, Assert.Single(tagged));
    }

    [Fact]
    public void Outputs_give_azd_the_function_app_name()
    {
        var outputs = fixture.Template.Root.GetProperty("outputs");
        var name = outputs.GetProperty("AZURE_FUNCTION_NAME");
        Assert.Equal("string", name.GetProperty("type").GetString());
        Assert.Equal(
            outputs.GetProperty("functionAppName").GetProperty("value").GetString(),
            name.GetProperty("value").GetString());
    }

    [Fact]
    public void Every_module_tags_its_resources_with_the_azd_environment_when_there_is_one()
    {
        var template = fixture.Template.Root;
        Assert.True(template.GetProperty("parameters").TryGetProperty("location", out _), "main.bicep takes no location.");
        Assert.True(
            template.GetProperty("parameters").TryGetProperty("environmentName", out var environmentName),
            "main.bicep takes no environmentName.");
        Assert.Equal(string.Empty, environmentName.GetProperty("defaultValue").GetString());
        Assert.Equal(
            "[if(empty(parameters('environmentName')), parameters('tags'), "
                + "union(parameters('tags'), createObject('azd-env-name', parameters('environmentName'))))]",
            template.GetProperty("variables").GetProperty("resourceTags").GetString());

        var modules = fixture.Template.Resources.Where(resource => resource.Type == "Microsoft.Resources/deployments").ToArray();
        var withTags = modules
            .Where(module => ArmTemplate.Find(module.Element, "properties.template.parameters.tags") is not null)
            .ToArray();
        Assert.NotEmpty(withTags);
        Assert.All(
            withTags,
            module => Assert.Equal("[variables('resourceTags')]", module.Get("properties.parameters.tags.value").GetString()));
    }

    [Theory]
    [InlineData("paypro-prod", "paypro-prod")]
    [InlineData(null, "")]
    public void Parameter_file_passes_the_azd_environment_name(string? azureEnvName, string expected)
    {
        var environment = new Dictionary<string, string?>(InfraFixture.DeploymentEnvironment)
        {
            ["AZURE_ENV_NAME"] = azureEnvName,
        };

        var run = BicepCli.Run(["build-params", "main.bicepparam", "--stdout", "--no-restore"], BicepCli.InfraDirectory, environment);

        run.AssertClean();
        using var output = JsonDocument.Parse(run.StandardOutput);
        using var parameters = JsonDocument.Parse(output.RootElement.GetProperty("parametersJson").GetString()!);
        Assert.Equal(
            expected,
            parameters.RootElement.GetProperty("parameters").GetProperty("environmentName").GetProperty("value").GetString());
    }

    [Fact]
    public void Azure_yaml_reader_takes_comments_and_quotes_and_refuses_what_it_cannot_read()
    {
        var parsed = AzureYaml.Parse(
        [
            "# comment",
            "name: 'paypro' # trailing comment",
            "services:",
            "  api:",
            "    project: \"./src/a#b\"",
            "    language: dotnet",
            "infra:",
            "  path: it's",
        ]);
        Assert.Equal("paypro", parsed["name"]);
        Assert.Equal(["api"], parsed.Children("services"));
        Assert.Equal("./src/a#b", parsed["services.api.project"]);
        Assert.Equal("dotnet", parsed["services.api.language"]);
        Assert.Equal("it's", parsed["infra.path"]);
        Assert.Null(parsed["services.api.host"]);

        Assert.Throws<FormatException>(() => AzureYaml.Parse(["services:", "  - api"]));
        Assert.Throws<FormatException>(() => AzureYaml.Parse(["hooks:", "  run: |", "    echo"]));
        Assert.Throws<FormatException>(() => AzureYaml.Parse(["name: a", "name: b"]));
    }
}
