using Microsoft.Extensions.Options;

namespace Paypro.Functions.Storage;

/// <summary>Settings of the app's tables (section <c>Storage</c>).</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>Prefix of the table names: <c>{prefix}Transactions</c>, <c>{prefix}Audit</c>, <c>{prefix}Due</c>.</summary>
    public string TablePrefix { get; set; } = "Paypro";

    public string TransactionsTable => TablePrefix + "Transactions";
    public string AuditTable => TablePrefix + "Audit";
    public string DueTable => TablePrefix + "Due";
}

public sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        // Table names: 3-63 alphanumeric characters starting with a letter; the longest suffix is 12.
        var prefix = options.TablePrefix;
        if (string.IsNullOrEmpty(prefix) || prefix.Length > 51 || !char.IsAsciiLetter(prefix[0]) || !prefix.All(char.IsAsciiLetterOrDigit))
        {
            return ValidateOptionsResult.Fail("Storage:TablePrefix must be 1-51 letters or digits starting with a letter (table names are built from it).");
        }
        return ValidateOptionsResult.Success;
    }
}
