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
}
