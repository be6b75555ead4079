using System.Diagnostics;
using System.Globalization;
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

IScenario[] known =
[
    new NotifyScenario(),
    new EventLagScenario(),
    new PipelineScenario(),
    new PollCostScenario(),
    new FaultsScenario(),
    new CatchUpScenario(),
    new BadInputScenario(),
    new HistoryScenario(),
    new StartupScenario(),
    new ReconcileScenario(),
    new LimitsScenario(),
];
var machine = $"{Environment.ProcessorCount} logical processors, " +
    $"{RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture}), {RuntimeInformation.FrameworkDescription}";
var started = DateTimeOffset.UtcNow;
Console.WriteLine($"machine: {machine}");
Console.WriteLine($"run: {string.Join(' ', options.Scenarios)}{(options.Smoke ? " (smoke)" : "")}, started {started:yyyy-MM-dd HH:mm} UTC");

using var stop = new CancellationTokenSource();
// Ctrl+C or SIGTERM stops the run; each scenario's environment is still disposed, which stops the app, the sandbox
// and Azurite (child processes that would otherwise outlive the tool).
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
{
    signal.Cancel = true;
    stop.Cancel();
});

var report = new Report();
var setupFailed = false;
string root;
try
{
    root = RepositoryRoot.Find();
}
catch (LoadSetupException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}
var context = new ScenarioContext(options, root, report);
var total = Stopwatch.StartNew();
foreach (var name in options.Scenarios)
{
    var scenario = known.Single(s => s.Name == name);
    Console.WriteLine();
    Console.WriteLine($"== {scenario.Name}: {scenario.Title}");
    var clock = Stopwatch.StartNew();
    try
    {
        await scenario.RunAsync(context, stop.Token);
    }
    catch (OperationCanceledException) when (stop.IsCancellationRequested)
    {
        report.Fail(scenario.Name, "cancelled");
        setupFailed = true;
        break;
    }
    catch (Exception ex) when (ex is LoadSetupException or AzuriteException)
    {
        report.Fail(scenario.Name, "setup failed: " + ex.Message);
        setupFailed = true;
    }
    catch (Exception ex)
    {
        report.Fail(scenario.Name, $"failed: {ex}");
        setupFailed = true;
    }
    Console.WriteLine($"== {scenario.Name}: {Stats.Seconds(clock.Elapsed)}");
}

report.PrintSummary(Console.Out);
Console.WriteLine($"total: {Stats.Seconds(total.Elapsed)}");
if (options.Markdown is { } markdown)
{
    var command = "dotnet run --project tests/Paypro.Load -c Release -- " + string.Join(' ', args);
    report.WriteMarkdown(markdown, $"Run of {started.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC on {machine}, " +
        $"{Stats.Seconds(total.Elapsed)} in all: `{command}`{(options.Smoke ? " (smoke: too few operations to judge timings)" : "")}");
    Console.WriteLine($"markdown: {markdown}");
}
return setupFailed ? 2 : report.AnyMissed ? 1 : 0;

internal static class RepositoryRoot
{
    /// <summary>
    /// The folder with Paypro.Functions.sln: above the tool's output folder when that is inside a checkout,
    /// otherwise above the current directory (a build with --artifacts-path puts the output elsewhere).
    /// </summary>
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
        throw new LoadSetupException(
            $"No Paypro.Functions.sln above {AppContext.BaseDirectory} or {Directory.GetCurrentDirectory()}: " +
            "run the tool from a checkout of the repository.");
    }
}
