using System.Globalization;

namespace Paypro.Load;

/// <summary>
/// The command line: <c>all | SCENARIO... [--smoke] [--count N] [--concurrency N] [--timeout SECONDS] [--seed-timeout SECONDS]
/// [--app-log-level LEVEL] [--markdown FILE]</c>.
/// </summary>
public sealed class LoadOptions
{
    /// <summary>Every scenario, in the order <c>all</c> runs them.</summary>
    public static readonly IReadOnlyList<string> ScenarioNames =
    [
        "notify",
        "event-lag",
        "pipeline",
        "poll-cost",
        "faults",
        "catch-up",
        "bad-input",
        "history",
        "startup",
        "reconcile",
        "limits",
    ];

    public const string Usage =
        "usage: dotnet run --project tests/Paypro.Load -c Release -- all | SCENARIO... [options]\n" +
        "  scenarios: notify, event-lag, pipeline, poll-cost, faults, catch-up, bad-input, history, startup, reconcile, limits " +
        "(all: every one, in this order)\n" +
        "  --smoke                a few dozen operations per scenario (what CI runs); timings are reported, not judged\n" +
        "  --count N              the scenario's main count instead of its default " +
        "(callbacks, payouts, payouts per round, largest history, bad inputs, starts)\n" +
        "  --concurrency N        callbacks in flight at once (notify, event-lag; default 64)\n" +
        "  --timeout SECONDS      how long a scenario may wait for the work it started\n" +
        "  --seed-timeout SECONDS how long seeding may take (default 600)\n" +
        "  --app-log-level LEVEL  the app's Logging:LogLevel:Default (default Warning)\n" +
        "  --markdown FILE        also write the summary as a Markdown table\n" +
        "exit code: 0 every budget met, 1 a budget missed, 2 a scenario could not run (setup failed, bad arguments)";

    public List<string> Scenarios { get; } = [];
    public bool Smoke { get; private set; }
    public int? Count { get; private set; }
    public int? Concurrency { get; private set; }
    public TimeSpan? Timeout { get; private set; }
    public TimeSpan SeedTimeout { get; private set; } = TimeSpan.FromMinutes(10);
    public string AppLogLevel { get; private set; } = "Warning";
    public string? Markdown { get; private set; }
    public bool Help { get; private set; }

    /// <exception cref="ArgumentException">An argument is unknown or out of range; the message says which.</exception>
    public static LoadOptions Parse(string[] args)
    {
        var options = new LoadOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value.");
            switch (arg)
            {
                case "-h" or "--help":
                    options.Help = true;
                    break;
                case "all":
                    options.Scenarios.AddRange(ScenarioNames.Where(s => !options.Scenarios.Contains(s)));
                    break;
                case var name when ScenarioNames.Contains(name):
                    if (!options.Scenarios.Contains(name))
                    {
                        options.Scenarios.Add(name);
                    }
                    break;
                case "--smoke":
                    options.Smoke = true;
                    break;
                case "--count":
                    options.Count = Int(arg, Value(), 1, 1_000_000);
                    break;
                case "--concurrency":
                    options.Concurrency = Int(arg, Value(), 1, 1_024);
                    break;
                case "--timeout":
                    options.Timeout = TimeSpan.FromSeconds(Int(arg, Value(), 10, 7_200));
                    break;
                case "--seed-timeout":
                    options.SeedTimeout = TimeSpan.FromSeconds(Int(arg, Value(), 10, 7_200));
                    break;
                case "--app-log-level":
                    var level = Value();
                    options.AppLogLevel = Enum.TryParse<Microsoft.Extensions.Logging.LogLevel>(level, ignoreCase: true, out var parsed)
                        ? parsed.ToString()
                        : throw new ArgumentException(
                            $"--app-log-level '{level}' is not a log level (Trace, Debug, Information, Warning, Error, Critical, None).");
                    break;
                case "--markdown":
                    options.Markdown = Value();
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{arg}'.");
            }
        }
        if (!options.Help && options.Scenarios.Count == 0)
        {
            throw new ArgumentException("Name a scenario, or all.");
        }
        return options;
    }

    private static int Int(string name, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"{name} must be a whole number from {min} to {max}; got '{text}'.");
}
