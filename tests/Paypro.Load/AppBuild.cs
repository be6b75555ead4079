using System.Reflection;

namespace Paypro.Load;

/// <summary>Where the function app's worker is built: what the host emulator starts.</summary>
public static class AppBuild
{
    /// <summary>
    /// The configuration this tool was built in (Release for a measured run, Debug for the smoke in the tests); the app is built in
    /// the same one.
    /// </summary>
    public static string Configuration =>
        typeof(AppBuild).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>The app's build output (the folder with worker.config.json), built with this tool, which references it.</summary>
    public static string WorkerDirectory(string repositoryRoot) =>
        BuildOutput(repositoryRoot, Path.Combine("src", "Paypro.Functions"));

    /// <summary>The bare worker's build output (the notify baseline under the host emulator), built with this tool.</summary>
    public static string BareWorkerDirectory(string repositoryRoot) =>
        BuildOutput(repositoryRoot, Path.Combine("tests", "Paypro.Load.BareWorker"));

    private static string BuildOutput(string repositoryRoot, string project)
    {
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;
        var output = Path.Combine(repositoryRoot, project, "bin", Configuration, framework);
        return File.Exists(Path.Combine(output, "worker.config.json"))
            ? output
            : throw new LoadSetupException(
                $"{output} has no worker.config.json: build it (dotnet build {project} -c {Configuration}), " +
                "or run the tool with dotnet run, which builds it.");
    }
}
