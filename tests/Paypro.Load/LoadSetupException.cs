namespace Paypro.Load;

/// <summary>A failure to set up a scenario (not a measurement): exit code 2.</summary>
public sealed class LoadSetupException(string message) : Exception(message);
