using System.Buffers;

namespace Paypro.Functions.Http;

/// <summary>Reads a request body up to a limit, so an oversized body is refused without being held in memory.</summary>
internal static class BoundedBody
{
    /// <returns>The body, or null when it is larger than <paramref name="limit"/> bytes.</returns>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }
        var buffer = new ArrayBufferWriter<byte>(Math.Min(limit, 4096));
        while (true)
        {
            var memory = buffer.GetMemory(1024);
            var read = await request.Body.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.WrittenSpan.ToArray();
            }
            buffer.Advance(read);
            if (buffer.WrittenCount > limit)
            {
                return null;
            }
        }
    }
}
