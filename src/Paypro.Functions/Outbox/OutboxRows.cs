namespace Paypro.Functions.Outbox;

/// <summary>An event of the outbox: the exact message, and when its change was decided.</summary>
public sealed record OutboxEvent(string TradeNo, string EventName, string Payload, DateTimeOffset CreatedAt);

/// <summary>An event to keep in the outbox with a change: its name (one per transaction), its id and the exact message.</summary>
public sealed record OutboxRow(string Name, string EventId, string Payload);

/// <summary>Where the outbox rows are read back: the transaction's partition, beside its record.</summary>
public interface IOutboxStore
{
    /// <summary>The outbox events of a transaction named in <paramref name="names"/> (its unconfirmed ones), oldest first.</summary>
    Task<IReadOnlyList<OutboxEvent>> GetOutboxAsync(string tradeNo, IReadOnlyCollection<string> names, CancellationToken cancellationToken);
}
