using System.Diagnostics;
using System.Globalization;
using System.Reflection.PortableExecutable;
using Azure;
using Paypro.Functions.Transactions;

namespace Paypro.Load;

/// <summary>
/// "startup": the project's reason for ReadyToRun, measured. The function app is published twice in the run, as
/// <c>./build.sh package</c> publishes it (linux-x64, ReadyToRun) and the same without ReadyToRun, and each is started
/// under the host emulator in turn, alternating, several times: from the emulator's process start to the first HTTP
/// invocation answered by the worker, and to the first queue message handled (a payout waiting on the queue when the
/// instance starts, until its record is <c>submitted</c>). A smoke run does not publish: it starts the app's build
/// output once, so the scenario cannot rot, and says so.
/// </summary>
public sealed class StartupScenario : IScenario
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    public string Name => "startup";

    public string Title => "start-up of the published worker under the host emulator, ReadyToRun against not, side by side";

    private sealed record Variant(string Name, string Directory)
    {
        /// <summary>From the emulator's start: the instance's start-up.</summary>
        public List<TimeSpan> Http { get; } = [];
        public List<TimeSpan> Queue { get; } = [];

        /// <summary>From the worker process's start: the worker's own share, which ReadyToRun is about.</summary>
        public List<TimeSpan> WorkerHttp { get; } = [];
        public List<TimeSpan> WorkerQueue { get; } = [];
    }

    private int _starts;

    public async Task RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var report = context.Report;
        var repetitions = context.Count(5, 1);
        await using var environment = await context.StartEnvironmentAsync(
            new EnvironmentOptions { AppUnderEmulator = true, StartApp = false },
            cancellationToken);
        var queue = environment.Queues.GetQueueClient(environment.PayoutsQueue);
        await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);

        Variant[] variants;
        var publishRoot = Path.Combine(Path.GetTempPath(), "paypro-startup-" + environment.Id);
        try
        {
            if (context.Smoke)
            {
                variants =
                [
                    new Variant(
                        $"build output ({AppBuild.Configuration}, no ReadyToRun)",
                        AppBuild.WorkerDirectory(context.RepositoryRoot)),
                ];
                report.Add(Name, "published", "not in a smoke run: the app's build output, started once",
                    note: "a full run publishes twice (about a minute on this machine), which the smoke leaves out");
            }
            else
            {
                var clock = Stopwatch.StartNew();
                var withoutR2R = await PublishAsync(context.RepositoryRoot, publishRoot, "jit", readyToRun: false, cancellationToken);
                var publishedWithout = clock.Elapsed;
                var r2r = await PublishAsync(context.RepositoryRoot, publishRoot, "r2r", readyToRun: true, cancellationToken);
                report.Add(Name, "published",
                    $"linux-x64, Release: without ReadyToRun in {Stats.Seconds(publishedWithout)} ({DescribeNativeCode(withoutR2R)}); " +
                    $"with ReadyToRun in {Stats.Seconds(clock.Elapsed - publishedWithout)} ({DescribeNativeCode(r2r)})",
                    note: "dotnet publish src/Paypro.Functions -c Release -r linux-x64 --self-contained false, as ./build.sh package; " +
                        "the baseline adds -p:PublishReadyToRun=false");
                variants = [new Variant("without ReadyToRun (baseline)", withoutR2R), new Variant("ReadyToRun", r2r)];
                // One start of each first, not measured: the files come into the page cache, as they are on a warm host.
                foreach (var variant in variants)
                {
                    await StartOnceAsync(environment, queue, variant, measured: false, cancellationToken);
                }
            }

            for (var round = 0; round < repetitions; round++)
            {
                // Alternating: no variant always starts first, or right after the same other.
                foreach (var variant in variants.Skip(round % variants.Length).Concat(variants.Take(round % variants.Length)))
                {
                    await StartOnceAsync(environment, queue, variant, measured: true, cancellationToken);
                }
            }
        }
        finally
        {
            try
            {
                Directory.Delete(publishRoot, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
        }

        foreach (var variant in variants)
        {
            report.Add(Name, variant.Name,
                $"from the emulator's start: first HTTP invocation answered {Describe(variant.Http)}, " +
                $"first queue message handled {Describe(variant.Queue)}; " +
                $"from the worker's start: {Describe(variant.WorkerHttp)} and {Describe(variant.WorkerQueue)} (n={variant.Http.Count})",
                note: "median (min to max); the worker's start is the emulator's log entry 2031");
        }
        if (variants.Length == 2)
        {
            var (baseline, r2r) = (variants[0], variants[1]);
            string Ratio(Func<Variant, List<TimeSpan>> times) => Stats.Number(Median(times(r2r)) / Median(times(baseline)), "0.00") + "x";
            report.Add(Name, "ReadyToRun / without ReadyToRun",
                $"from the worker's start: first HTTP invocation {Ratio(v => v.WorkerHttp)}, " +
                $"first queue message {Ratio(v => v.WorkerQueue)}; " +
                $"from the emulator's start: {Ratio(v => v.Http)} and {Ratio(v => v.Queue)} (medians, same run, alternating starts)",
                note: "the emulator's own start (the Functions host's, in Azure) is the same for both; " +
                    "the worker's share is what ReadyToRun changes");
        }
    }

    /// <summary>
    /// Starts one instance of <paramref name="variant"/> with a payout waiting on the queue, and times from the emulator's
    /// process start to the first HTTP answer from a function and to that payout recorded as submitted.
    /// </summary>
    private async Task StartOnceAsync(
        LoadEnvironment environment,
        Azure.Storage.Queues.QueueClient queue,
        Variant variant,
        bool measured,
        CancellationToken cancellationToken)
    {
        var tradeNo = Workload.TradeNos(environment, "S" + _starts++.ToString(CultureInfo.InvariantCulture), 1)[0];
        await queue.SendMessageAsync(Workload.PayoutMessage(tradeNo), cancellationToken);
        await using var child = new ChildApp(environment.ContentRoot, environment.BaseAddress.Port);
        using var http = new HttpClient { BaseAddress = environment.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(StartTimeout);
        var starting = child.StartAsync(environment.EmulatorArguments(variant.Directory), deadline.Token);
        var launchedAt = child.LaunchedAt;
        try
        {
            var answered = FirstAnswerAsync(http, $"/api/payouts/{tradeNo}?code={LoadEnvironment.FunctionKey}", launchedAt, deadline.Token);
            var handled = SubmittedAsync(environment, tradeNo, launchedAt, deadline.Token);
            await Task.WhenAll(starting, answered, handled);
            // The worker's start as the emulator logged it: what the emulator's own start adds is the same for both variants.
            var worker = Stopwatch.GetElapsedTime(launchedAt, child.WorkerStarts[0]);
            Console.WriteLine(
                $"  {variant.Name}: first HTTP answer {Seconds(answered.Result)}, " +
                $"first queue message handled {Seconds(handled.Result)} " +
                $"(worker started at {Seconds(worker)}){(measured ? "" : " (warm-up, not measured)")}");
            if (measured)
            {
                variant.Http.Add(answered.Result);
                variant.Queue.Add(handled.Result);
                variant.WorkerHttp.Add(answered.Result - worker);
                variant.WorkerQueue.Add(handled.Result - worker);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LoadSetupException(
                $"{variant.Name} did not answer and handle its first message within {StartTimeout.TotalSeconds:0} s. " +
                $"Its last output:\n{child.Tail}");
        }
        await child.StopAsync();
    }

    /// <summary>The first answer from the function behind <paramref name="pathAndQuery"/>: its own 404 (problem details) or 200.</summary>
    private static async Task<TimeSpan> FirstAnswerAsync(
        HttpClient http,
        string pathAndQuery,
        long launchedAt,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(pathAndQuery, cancellationToken);
                if (response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType == "application/problem+json")
                {
                    return Stopwatch.GetElapsedTime(launchedAt);
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet: the emulator listens once its worker is ready.
            }
            await Task.Delay(ProbeInterval, cancellationToken);
        }
    }

    private static async Task<TimeSpan> SubmittedAsync(
        LoadEnvironment environment,
        string tradeNo,
        long launchedAt,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                if (await environment.Store.Transactions.GetAsync(tradeNo, cancellationToken) is { State: TransactionState.Submitted })
                {
                    return Stopwatch.GetElapsedTime(launchedAt);
                }
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // The table is created when the first instance starts.
            }
            await Task.Delay(ProbeInterval, cancellationToken);
        }
    }

    /// <summary>Publishes the function app as ./build.sh package does, with or without ReadyToRun, into a folder of its own.</summary>
    private static async Task<string> PublishAsync(
        string repositoryRoot,
        string publishRoot,
        string name,
        bool readyToRun,
        CancellationToken cancellationToken)
    {
        var output = Path.Combine(publishRoot, name);
        var info = new ProcessStartInfo(ChildApp.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = repositoryRoot,
        };
        string[] arguments =
        [
            "publish", Path.Combine("src", "Paypro.Functions"), "-c", "Release", "-r", "linux-x64", "--self-contained", "false",
            // One artifacts path for both: the second publish reuses the first one's build and only changes its last step.
            "--artifacts-path", Path.Combine(publishRoot, "build"), "-o", output, "-nologo", "--disable-build-servers",
            $"-p:PublishReadyToRun={(readyToRun ? "true" : "false")}",
        ];
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info) ?? throw new LoadSetupException("Could not start dotnet publish.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        if (process.ExitCode != 0 || !File.Exists(Path.Combine(output, "worker.config.json")))
        {
            var text = await stdout + await stderr;
            throw new LoadSetupException(
                $"dotnet publish {(readyToRun ? "with" : "without")} ReadyToRun failed (exit code {process.ExitCode}):\n" +
                $"{Workload.Truncate(text, 4_000)}");
        }
        return output;
    }

    /// <summary>How many of the published assemblies carry ReadyToRun code, so the two outputs are what they claim.</summary>
    private static string DescribeNativeCode(string directory)
    {
        var assemblies = Directory.GetFiles(directory, "*.dll");
        var native = assemblies.Count(path =>
        {
            using var stream = File.OpenRead(path);
            using var pe = new PEReader(stream);
            try
            {
                return pe.HasMetadata && pe.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0;
            }
            catch (BadImageFormatException)
            {
                return false;
            }
        });
        return $"{native} of {assemblies.Length} assemblies with ReadyToRun code";
    }

    private static string Seconds(TimeSpan value) => Stats.Seconds(value, "0.00");

    private static double Median(List<TimeSpan> values) =>
        values.Count == 0 ? double.NaN : Stats.Percentile(values.Select(v => v.TotalMilliseconds).Order().ToArray(), 50);

    private static string Describe(List<TimeSpan> values) => values.Count == 0
        ? "n/a"
        : $"{Stats.Number(Median(values) / 1000, "0.00")} s " +
            $"({Stats.Number(values.Min().TotalSeconds, "0.00")} to {Stats.Number(values.Max().TotalSeconds, "0.00")})";
}
