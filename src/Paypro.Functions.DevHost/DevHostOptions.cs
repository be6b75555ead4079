using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Paypro.Functions.DevHost;

/// <summary>
/// Settings of the development host (section <c>DevHost</c>, environment <c>DevHost__*</c>). The Functions host ignores them.
/// </summary>
public sealed class DevHostOptions
{
    public const string SectionName = "DevHost";

    /// <summary>
    /// The key HTTP functions of authorization level Function take as <c>?code=</c> or <c>x-functions-key</c>,
    /// standing in for the host's function keys. Required when the app has such functions.
    /// </summary>
    [MinLength(16, ErrorMessage = "DevHost:FunctionKey (DevHost__FunctionKey) must be at least 16 characters.")]
    public string? FunctionKey { get; set; }

    /// <summary>The key of authorization level Admin (the host's master key); it also opens level Function. None when empty.</summary>
    [MinLength(16, ErrorMessage = "DevHost:MasterKey (DevHost__MasterKey) must be at least 16 characters.")]
    public string? MasterKey { get; set; }

    /// <summary>Create the tables and queues at start-up (a local run); in Azure the deployment creates them.</summary>
    public bool CreateStorage { get; set; } = true;

    /// <summary>
    /// The folder of the built or published worker (the one with <c>worker.config.json</c>). Set, the development host
    /// is a host emulator: it starts that worker as a process and runs the functions in it over the host's gRPC protocol.
    /// Unset, it runs the function classes in its own process.
    /// </summary>
    public string? WorkerDirectory { get; set; }
}

[OptionsValidator]
internal sealed partial class DevHostOptionsValidator : IValidateOptions<DevHostOptions>;

/// <summary>
/// Refuses to start without the key the app's HTTP functions need: without the Functions host in front, the key is
/// the only thing between the network and those routes. Written by hand because it depends on the functions.
/// </summary>
internal sealed class DevHostKeysValidator(HostedFunctions functions) : IValidateOptions<DevHostOptions>
{
    /// <remarks>The emulator knows its functions only once the worker has reported them; it validates then.</remarks>
    public ValidateOptionsResult Validate(string? name, DevHostOptions options)
    {
        if (functions.Catalog is not { } catalog)
        {
            return ValidateOptionsResult.Success;
        }
        var needsFunctionKey = catalog.Http.Any(f => f.AuthLevel is Microsoft.Azure.Functions.Worker.AuthorizationLevel.Function
            or Microsoft.Azure.Functions.Worker.AuthorizationLevel.User);
        if (needsFunctionKey && string.IsNullOrEmpty(options.FunctionKey))
        {
            return ValidateOptionsResult.Fail(
                "DevHost:FunctionKey (DevHost__FunctionKey) is not set. The development host checks function keys itself: " +
                "set it to a long random value and give it to callers as ?code= or x-functions-key.");
        }
        return ValidateOptionsResult.Success;
    }
}
