using System.Diagnostics;
using System.Reflection;

namespace Paypro.Infra.Tests;

/// <summary>The result of one Bicep CLI run.</summary>
public sealed record BicepRun(string Command, int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Everything the CLI printed, for assertion messages.</summary>
    public string Output => $"{StandardOutput}{StandardError}";

    /// <summary>Diagnostic lines (warnings, errors, infos) the CLI printed.</summary>
    public IReadOnlyList<string> Diagnostics =>
        Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.Contains(" : Error ", StringComparison.Ordinal)
                || line.Contains(" : Warning ", StringComparison.Ordinal)
                || line.Contains(" : Info ", StringComparison.Ordinal))
            .ToArray();

    /// <summary>Asserts a clean run: exit code 0 and not a single diagnostic.</summary>
    public void AssertClean()
    {
        Assert.True(
            ExitCode == 0 && Diagnostics.Count == 0,
            $"`bicep {Command}` exited with {ExitCode} and printed {Diagnostics.Count} diagnostic(s):{Environment.NewLine}{Output}");
    }
}

/// <summary>
/// Runs the Bicep CLI that the Azure.Bicep.CommandLine.linux-x64 package ships, so the tests need
/// nothing installed beyond a NuGet restore.
/// </summary>
public static class BicepCli
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <summary>The infra-bicep folder of the repository.</summary>
    public static string InfraDirectory { get; } = ReadMetadata("InfraBicepDirectory");

    /// <summary>Full path of the bicep executable inside the restored package.</summary>
    public static string ExecutablePath { get; } = ReadMetadata("BicepCliPath");

    /// <summary>
    /// Runs bicep with the given arguments in <paramref name="workingDirectory"/>.
    /// <paramref name="environment"/> entries with a null value are removed from the child's environment.
    /// </summary>
    public static BicepRun Run(
        IReadOnlyList<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        EnsureExecutable();

        var startInfo = new ProcessStartInfo(ExecutablePath)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var (name, value) in environment)
            {
                if (value is null)
                {
                    startInfo.Environment.Remove(name);
                }
                else
                {
                    startInfo.Environment[name] = value;
                }
            }
        }

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start the Bicep CLI at {ExecutablePath}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`bicep {string.Join(' ', arguments)}` did not finish within {Timeout}.");
        }

        return new BicepRun(string.Join(' ', arguments), process.ExitCode, stdout.Result, stderr.Result);
    }

    private static void EnsureExecutable()
    {
        if (string.IsNullOrEmpty(ExecutablePath) || !File.Exists(ExecutablePath))
        {
            throw new FileNotFoundException(
                $"The Bicep CLI was not found at '{ExecutablePath}'. It comes from the NuGet package "
                + "Azure.Bicep.CommandLine.linux-x64 (tools/bicep): run `dotnet restore tests/Paypro.Infra.Tests` "
                + "on linux-x64 with access to the NuGet feed, then run the tests again.",
                ExecutablePath);
        }

        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(ExecutablePath);
        const UnixFileMode execute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        if ((mode & UnixFileMode.UserExecute) == 0)
        {
            try
            {
                File.SetUnixFileMode(ExecutablePath, mode | execute);
            }
            catch (Exception exception) when (exception is UnauthorizedAccessException or IOException)
            {
                throw new InvalidOperationException(
                    $"The Bicep CLI at '{ExecutablePath}' is not executable and its mode cannot be changed "
                    + $"({exception.Message}). Run `chmod +x {ExecutablePath}`.",
                    exception);
            }
        }
    }

    /// <summary>A value the project file gave the test assembly as metadata.</summary>
    internal static string ReadMetadata(string key)
    {
        var value = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(attribute => attribute.Key == key)?.Value;
        return value ?? throw new InvalidOperationException(
            $"The test assembly carries no '{key}' metadata; build it with its project file.");
    }
}
