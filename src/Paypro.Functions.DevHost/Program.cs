using Paypro.Functions.DevHost;
using Paypro.Functions.DevHost.Emulator;

var app = DevelopmentHost.Build(args);
try
{
    await app.RunAsync();
}
catch (WorkerStartupException ex)
{
    // The worker's own reason, without the emulator's stack: it names the setting to fix.
    await Console.Error.WriteLineAsync("The host emulator stopped: " + ex.Message);
    return 1;
}
return 0;
