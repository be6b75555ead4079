using System.Reflection;

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
        throw new InvalidOperationException(
            $"No Paypro.Functions.sln above {AppContext.BaseDirectory}: run the tests from a checkout of the repository.");
    });

    /// <summary>The folder with Paypro.Functions.sln and host.json.</summary>
    public static string Root => RootPath.Value;

    /// <summary>The folder of the function app's project.</summary>
    public static string FunctionsProject => Path.Combine(Root, "src", "Paypro.Functions");

    /// <summary>
    /// The function app's own build output, in the configuration the tests were built in: the worker as the host
    /// starts it (worker.config.json, functions.metadata, Paypro.Functions.dll with its deps.json).
    /// </summary>
    public static string FunctionsOutput
    {
        get
        {
            var configuration =
                typeof(RepositoryPaths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
            var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;
            var output = Path.Combine(FunctionsProject, "bin", configuration, framework);
            return File.Exists(Path.Combine(output, "worker.config.json"))
                ? output
                : throw new InvalidOperationException(
                    $"{output} has no worker.config.json: "
                        + $"build the solution (dotnet build Paypro.Functions.sln -c {configuration}) first.");
        }
    }
}
