namespace Paypro.Testing;

/// <summary>Fresh tradeNos, so tests sharing a sandbox or storage never see each other's transactions.</summary>
public static class TestTradeNos
{
    /// <summary><paramref name="prefix"/> and 20 random hex digits: a valid tradeNo of Paypro's shape.</summary>
    public static string New(string prefix = "T") => prefix + Guid.NewGuid().ToString("N")[..20];
}
