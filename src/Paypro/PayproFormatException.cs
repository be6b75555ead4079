namespace Paypro;

/// <summary>A body received from Paypro (or claiming to be) does not have the documented shape.</summary>
public sealed class PayproFormatException : FormatException
{
    public PayproFormatException(string message) : base(message)
    {
    }

    public PayproFormatException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
