using System.Runtime.InteropServices;
using Paypro.Load;

LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(LoadOptions.Usage);
    return 2;
}
if (options.Help)
{
    Console.WriteLine(LoadOptions.Usage);
    return 0;
}

Console.WriteLine($"machine: {Environment.ProcessorCount} logical processors, {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture}), {RuntimeInformation.FrameworkDescription}");
Console.WriteLine($"scenario: {options.Scenario} count={options.Count} concurrency={options.Concurrency} timeout={options.Timeout.TotalSeconds:0}s");

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Ctrl+C stops the run, and the finally below still stops the app, the sandbox and Azurite.
    e.Cancel = true;
    stop.Cancel();
};

LoadEnvironment? environment = null;
try
{
    environment = await LoadEnvironment.StartAsync(RepositoryRoot.Find(), options.AppLogLevel, stop.Token);
    Console.WriteLine($"environment: app {environment.BaseAddress}, sandbox {environment.Sandbox.BaseUrl}, azurite table :{environment.Azurite.TablePort} queue :{environment.Azurite.QueuePort}, run id {environment.Id}");
    return await new EventLagScenario(environment, options).RunAsync(stop.Token);
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.Error.WriteLine("event-lag: cancelled");
    return 2;
}
catch (LoadSetupException ex)
{
    Console.Error.WriteLine($"event-lag: setup failed: {ex.Message}");
    return 2;
}
catch (Exception ex)
{
    Console.Error.WriteLine($"event-lag: failed: {ex}");
    return 2;
}
finally
{
    if (environment is not null)
    {
        await environment.DisposeAsync();
    }
}

internal static class RepositoryRoot
{
    /// <summary>The folder with Paypro.Functions.sln, above the tool's output folder (or the current one).</summary>
    public static string Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Paypro.Functions.sln")))
                {
                    return directory.FullName;
                }
            }
        }
        throw new LoadSetupException($"No Paypro.Functions.sln above {AppContext.BaseDirectory} or {Directory.GetCurrentDirectory()}: run the tool from a checkout of the repository.");
    }
}
