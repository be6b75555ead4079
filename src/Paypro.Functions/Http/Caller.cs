using System.Net;

namespace Paypro.Functions.Http;

/// <summary>Who called: the one reading of a request's source address, for the allow-lists and the audit trail.</summary>
internal static class Caller
{
    /// <summary>The caller as the worker reports it (under the host, the worker has already applied X-Forwarded-For).</summary>
    public static IPAddress? AddressOf(HttpContext context) =>
        context.Connection.RemoteIpAddress is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : context.Connection.RemoteIpAddress;
}
