namespace Paypro.Functions.Tests.Infrastructure;

/// <summary>Finds files of the repository from the test assembly, wherever the tests run from.</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Paypro.Functions.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No Paypro.Functions.sln above {AppContext.BaseDirectory}: run the tests from a checkout of the repository.");
    });

    /// <summary>The folder with Paypro.Functions.sln and host.json.</summary>
    public static string Root => RootPath.Value;

    /// <summary>The folder of the function app's project.</summary>
    public static string FunctionsProject => Path.Combine(Root, "src", "Paypro.Functions");

    /// <summary>The folders <c>FunctionDefinitions/<c>functions/&lt;Name&gt;</c>lt;Name<c>functions/&lt;Name&gt;</c>gt;</c>, one per function, each with its function.json.</summary>
    public static string FunctionFolders => Path.Combine(FunctionsProject, "FunctionDefinitions");

    /// <summary>A file copied beside the test assembly from tests/Paypro.Functions.Tests/Golden.</summary>
    public static string Golden(string fileName) => Path.Combine(AppContext.BaseDirectory, "Golden", fileName);
}
