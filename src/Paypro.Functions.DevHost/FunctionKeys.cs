using System.Security.Cryptography;
using System.Text;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Paypro.Functions.DevHost;

/// <summary>
/// Stands in for the host's key check: a request to an HTTP function of level Function must carry the function
/// key (or the master key), one of level Admin the master key, as <c>?code=</c> or <c>x-functions-key</c>;
/// otherwise it is answered 401 before the function runs.
/// </summary>
internal sealed class FunctionKeys(IOptions<DevHostOptions> options)
{
    public const string KeyQueryParameter = "code";
    public const string KeyHeader = "x-functions-key";

    private readonly byte[]? _functionKey = Hash(options.Value.FunctionKey);
    private readonly byte[]? _masterKey = Hash(options.Value.MasterKey);

    public bool Allows(AuthorizationLevel level, HttpRequest request) => level switch
    {
        AuthorizationLevel.Anonymous => true,
        AuthorizationLevel.Function or AuthorizationLevel.User => Presented(request, _functionKey) || Presented(request, _masterKey),
        _ => Presented(request, _masterKey),
    };

    private static bool Presented(HttpRequest request, byte[]? key) =>
        key is not null
            && (Matches(request.Headers[KeyHeader].ToString(), key) || Matches(request.Query[KeyQueryParameter].ToString(), key));

    private static bool Matches(string presented, byte[] key)
    {
        if (presented.Length == 0)
        {
            return false;
        }
        // Hashing first makes the comparison constant-time in the key's length as well as its content.
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), key);
    }

    private static byte[]? Hash(string? key) => string.IsNullOrEmpty(key) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
