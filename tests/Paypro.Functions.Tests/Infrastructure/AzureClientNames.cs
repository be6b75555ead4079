namespace Paypro.Functions.Tests.Infrastructure;

/// <summary>Names the Azure client factory (<c>AddAzureClients</c>) gives the app's clients.</summary>
internal static class AzureClientNames
{
    /// <summary>The name of a client registered without one: the factory's clients and their options go by it.</summary>
    public const string Default = "Default";
}
