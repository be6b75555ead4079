using System.Text.Json;
using System.Text.Json.Serialization;
using Paypro.Functions.Operations;

namespace Paypro.Functions.Http;

/// <summary>The JSON shapes of the HTTP API (source generated): the answers the functions give and the bodies they read.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(TransactionView))]
[JsonSerializable(typeof(MpesaLookupView))]
[JsonSerializable(typeof(BalanceView))]
[JsonSerializable(typeof(TransactionListPage))]
[JsonSerializable(typeof(PendingList))]
[JsonSerializable(typeof(ReconciliationReport))]
[JsonSerializable(typeof(SubmitAccepted))]
[JsonSerializable(typeof(PoisonListing))]
[JsonSerializable(typeof(RedriveRequest))]
[JsonSerializable(typeof(RedriveReport))]
[JsonSerializable(typeof(HeldList))]
[JsonSerializable(typeof(HoldDecisionView))]
[JsonSerializable(typeof(HoldRequest))]
internal sealed partial class FunctionsJsonContext : JsonSerializerContext;
