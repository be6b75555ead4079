namespace Paypro;

/// <summary>
/// Where the app secret goes in the signed string. Paypro's documentation says the secret is used
/// "as salt" without saying where: one operator of the platform appends it, Paypro's own Java sample
/// uses a salted MD5 that puts it first. <see cref="Append"/> is the default.
/// </summary>
public enum SaltPosition
{
    Append = 0,
    Prepend = 1,
}
