namespace Paypro.Load;

/// <summary>What a scenario is given: the options, the checkout and the report to add its figures to.</summary>
public sealed class ScenarioContext(LoadOptions options, string repositoryRoot, Report report)
{
    public LoadOptions Options { get; } = options;
    public string RepositoryRoot { get; } = repositoryRoot;
    public Report Report { get; } = report;
    public bool Smoke => Options.Smoke;

    /// <summary>The scenario's main count: <c>--count</c> when given, otherwise the full or the smoke default.</summary>
    public int Count(int full, int smoke) => Options.Count ?? (Smoke ? smoke : full);

    public int Concurrency(int full, int smoke) => Options.Concurrency ?? (Smoke ? smoke : full);

    /// <summary>How long the scenario may wait for the work it started: <c>--timeout</c> when given.</summary>
    public TimeSpan Timeout(TimeSpan full, TimeSpan smoke) => Options.Timeout ?? (Smoke ? smoke : full);

    public Task<LoadEnvironment> StartEnvironmentAsync(EnvironmentOptions environment, CancellationToken cancellationToken) =>
        LoadEnvironment.StartAsync(RepositoryRoot, Options.AppLogLevel, environment, cancellationToken);
}

/// <summary>
/// One measurement of the proof suite. It adds its figures to the report; a broken budget is a missed line, not an exception.
/// </summary>
public interface IScenario
{
    /// <summary>The name on the command line.</summary>
    string Name { get; }

    /// <summary>What it measures, in one line.</summary>
    string Title { get; }

    Task RunAsync(ScenarioContext context, CancellationToken cancellationToken);
}
