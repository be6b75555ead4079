using System.Globalization;

namespace Paypro.Load;

/// <summary>The command line: <c>[event-lag] [--count N] [--concurrency N] [--timeout SECONDS] [--seed-timeout SECONDS] [--app-log-level LEVEL]</c>.</summary>
public sealed class LoadOptions
{
    public const string Usage =
        "usage: dotnet run --project tests/Paypro.Load -- [event-lag] [--count N (2000)] [--concurrency N (64)]\n" +
        "       [--timeout SECONDS (300): how long after the burst the events may take]\n" +
        "       [--seed-timeout SECONDS (600): how long seeding may take]\n" +
        "       [--app-log-level LEVEL (Warning): the app's Logging:LogLevel:Default]";

    public string Scenario { get; private set; } = "event-lag";
    public int Count { get; private set; } = 2000;
    public int Concurrency { get; private set; } = 64;
    public TimeSpan Timeout { get; private set; } = TimeSpan.FromMinutes(5);
    public TimeSpan SeedTimeout { get; private set; } = TimeSpan.FromMinutes(10);
    public string AppLogLevel { get; private set; } = "Warning";
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
                case "event-lag":
                    options.Scenario = arg;
                    break;
                case "--count":
                    options.Count = Int(arg, Value(), 1, 100_000);
                    break;
                case "--concurrency":
                    options.Concurrency = Int(arg, Value(), 1, 1_024);
                    break;
                case "--timeout":
                    options.Timeout = TimeSpan.FromSeconds(Int(arg, Value(), 10, 3_600));
                    break;
                case "--seed-timeout":
                    options.SeedTimeout = TimeSpan.FromSeconds(Int(arg, Value(), 10, 7_200));
                    break;
                case "--app-log-level":
                    var level = Value();
                    options.AppLogLevel = Enum.TryParse<Microsoft.Extensions.Logging.LogLevel>(level, ignoreCase: true, out var parsed)
                        ? parsed.ToString()
                        : throw new ArgumentException($"--app-log-level '{level}' is not a log level (Trace, Debug, Information, Warning, Error, Critical, None).");
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{arg}'.");
            }
        }
        return options;
    }

    private static int Int(string name, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"{name} must be a whole number from {min} to {max}; got '{text}'.");
}
