using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Paypro.Functions.Storage;

/// <summary>Settings of the app's tables (section <c>Storage</c>).</summary>
public sealed class StorageOptions : IValidatableObject
{
    public const string SectionName = "Storage";

    /// <summary>
    /// Prefix of the table names: <c>{prefix}Transactions</c>, <c>{prefix}Audit</c>, <c>{prefix}Due</c>, <c>{prefix}Controls</c>.
    /// </summary>
    public string TablePrefix { get; set; } = "Paypro";

    /// <summary>
    /// How many partitions the due index and the creation index are spread over: a new transaction's index rows go to
    /// one of them by a hash of its tradeNo. Raising or lowering it strands nothing (docs/operations.md).
    /// </summary>
    public int IndexPartitions { get; set; } = 8;

    public string TransactionsTable => TablePrefix + "Transactions";
    public string AuditTable => TablePrefix + "Audit";
    public string DueTable => TablePrefix + "Due";

    /// <summary>The money controls' counts (per Kenya day, per mobile number) and the list of held payouts.</summary>
    public string ControlsTable => TablePrefix + "Controls";

    /// <summary>
    /// Checked by hand, the first wrong setting only: the prefix is a rule over its characters, which no annotation says
    /// in one message, and a wrong prefix makes every table name wrong.
    /// </summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        // Table names: 3-63 alphanumeric characters starting with a letter; the longest suffix is 12.
        var prefix = TablePrefix;
        if (string.IsNullOrEmpty(prefix) || prefix.Length > 51 || !char.IsAsciiLetter(prefix[0]) || !prefix.All(char.IsAsciiLetterOrDigit))
        {
            return [new ValidationResult(
                "Storage:TablePrefix must be 1-51 letters or digits starting with a letter (table names are built from it).")];
        }
        if (IndexPartitions is < 1 or > 100)
        {
            return [new ValidationResult("Storage:IndexPartitions must be between 1 and 100.")];
        }
        return [];
    }
}

[OptionsValidator]
internal sealed partial class StorageOptionsValidator : IValidateOptions<StorageOptions>;
