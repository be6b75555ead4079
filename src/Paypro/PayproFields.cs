using System.Collections;
using System.Text;
using System.Text.Json;

namespace Paypro;

/// <summary>One top-level field of a received Paypro body, as it was written.</summary>
/// <param name="Name">The field name.</param>
/// <param name="Value">
/// The text that is signed: a string's unescaped value, or a number's raw token text
/// (<c>3.0000</c> stays <c>3.0000</c>), or <c>true</c>/<c>false</c>; empty for <c>null</c>.
/// </param>
/// <param name="Kind">The JSON kind of the value.</param>
public readonly record struct PayproField(string Name, string Value, JsonValueKind Kind);

/// <summary>
/// The top-level fields of a flat JSON object exactly as received, in order. This is what a Paypro
/// signature covers: Paypro stringifies values from its own parser, so a number must be signed as
/// the characters on the wire, never as a re-formatted number.
/// </summary>
public sealed class PayproFields : IReadOnlyList<PayproField>
{
    private readonly List<PayproField> _fields;

    private PayproFields(List<PayproField> fields) => _fields = fields;

    public int Count => _fields.Count;

    public PayproField this[int index] => _fields[index];

    /// <summary>The value of <paramref name="name"/> (see <see cref="PayproField.Value"/>), or null when absent.</summary>
    public string? this[string name]
    {
        get
        {
            foreach (var field in _fields)
            {
                if (field.Name == name)
                {
                    return field.Value;
                }
            }
            return null;
        }
    }

    /// <summary>The JSON kind of <paramref name="name"/>, or <see cref="JsonValueKind.Undefined"/> when absent.</summary>
    public JsonValueKind KindOf(string name)
    {
        foreach (var field in _fields)
        {
            if (field.Name == name)
            {
                return field.Kind;
            }
        }
        return JsonValueKind.Undefined;
    }

    /// <summary>The <c>sign</c> field, or null when the body has none.</summary>
    public string? Sign => this[PayproSignature.SignField];

    /// <summary>Every field as a name/value pair, for <see cref="PayproSignature"/>.</summary>
    public IEnumerable<KeyValuePair<string, string?>> AsPairs()
    {
        foreach (var field in _fields)
        {
            yield return new(field.Name, field.Value);
        }
    }

    /// <summary>
    /// Index of the first of <paramref name="secrets"/> under which the body's sign is valid, or -1
    /// (also when the body has no sign).
    /// </summary>
    public int MatchSignature(IReadOnlyList<string> secrets, SaltPosition saltPosition) =>
        PayproSignature.MatchAny(AsPairs(), Sign, secrets, saltPosition);

    public IEnumerator<PayproField> GetEnumerator() => _fields.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Parses a flat JSON object.</summary>
    /// <exception cref="PayproFormatException">
    /// The body is not UTF-8 JSON, not an object, repeats a key, or holds a nested object or array.
    /// </exception>
    public static PayproFields Parse(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 4 });
        var fields = new List<PayproField>();
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new PayproFormatException("The body must be a JSON object.");
            }
            while (true)
            {
                if (!reader.Read())
                {
                    throw new PayproFormatException("The JSON object is not closed.");
                }
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    break;
                }
                var name = reader.GetString()!;
                foreach (var seen in fields)
                {
                    // A repeated key would let two parsers read two different bodies under one signature.
                    if (seen.Name == name)
                    {
                        throw new PayproFormatException($"The field '{Printable(name)}' appears more than once.");
                    }
                }
                reader.Read();
                fields.Add(reader.TokenType switch
                {
                    JsonTokenType.String => new PayproField(name, reader.GetString()!, JsonValueKind.String),
                    JsonTokenType.Number => new PayproField(name, Encoding.UTF8.GetString(reader.ValueSpan), JsonValueKind.Number),
                    JsonTokenType.True => new PayproField(name, "true", JsonValueKind.True),
                    JsonTokenType.False => new PayproField(name, "false", JsonValueKind.False),
                    JsonTokenType.Null => new PayproField(name, "", JsonValueKind.Null),
                    _ => throw new PayproFormatException(
                        $"The field '{Printable(name)}' must be a string, number, boolean or null; " +
                        "nested objects and arrays are not part of a Paypro body."),
                });
            }
            if (reader.Read())
            {
                throw new PayproFormatException("Unexpected content after the JSON object.");
            }
        }
        catch (JsonException ex)
        {
            throw new PayproFormatException(
                $"The body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).",
                ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new PayproFormatException("The body is not valid JSON text.", ex);
        }
        return new PayproFields(fields);
    }

    /// <summary>Parses a flat JSON object given as text.</summary>
    public static PayproFields Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(Encoding.UTF8.GetBytes(json));
    }

    private static string Printable(string name) => name.Length > 40 ? string.Concat(name.AsSpan(0, 40), "…") : name;
}
