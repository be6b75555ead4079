namespace Paypro;

/// <summary>A request was refused before anything was sent, because a field is invalid.</summary>
public sealed class PayproValidationException : ArgumentException
{
    public PayproValidationException(string field, string message) : base(message, field)
    {
        Field = field;
        Reason = message;
    }

    /// <summary>The name of the invalid field, as in Paypro's API (<c>mobile</c>, <c>amount</c>, <c>tradeNo</c>...).</summary>
    public string Field { get; }

    /// <summary>What was wrong, without the parameter suffix that <see cref="ArgumentException.Message"/> adds.</summary>
    public string Reason { get; }
}
