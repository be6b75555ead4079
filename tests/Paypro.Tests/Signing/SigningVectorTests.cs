using System.Text.Json;

namespace Paypro.Tests.Signing;

/// <summary>One test case per golden vector in Data/signing-vectors.json.</summary>
public sealed class SigningVectorTests
{
    private static readonly Lazy<JsonDocument> Vectors = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Data", "signing-vectors.json"))));

    public static TheoryData<string> RequestVectors() => Names("vectors");

    public static TheoryData<string> NotifyVectors() => Names("notifies");

    [Theory]
    [MemberData(nameof(RequestVectors))]
    public void Request_vector_signs_to_the_golden_value(string name)
    {
        var vector = Find("vectors", name);
        var fields = vector.GetProperty("fields").EnumerateObject()
            .Select(p => new KeyValuePair<string, string?>(p.Name, p.Value.GetString()))
            .ToList();
        var secret = vector.GetProperty("secret").GetString()!;
        var salt = SaltOf(vector);
        var sign = vector.GetProperty("sign").GetString()!;

        Assert.Equal(vector.GetProperty("canonical").GetString(), PayproSignature.Canonicalize(fields));
        Assert.Equal(sign, PayproSignature.Compute(fields, secret, salt));
        Assert.True(PayproSignature.Matches(fields, sign, secret, salt));
        Assert.False(PayproSignature.Matches(
            fields,
            sign,
            secret,
            salt == SaltPosition.Append ? SaltPosition.Prepend : SaltPosition.Append));
    }

    [Theory]
    [MemberData(nameof(NotifyVectors))]
    public void Notify_vector_verifies_over_the_raw_token_text(string name)
    {
        var vector = Find("notifies", name);
        var fields = PayproFields.Parse(vector.GetProperty("rawBody").GetString()!);
        var secret = vector.GetProperty("secret").GetString()!;
        var salt = SaltOf(vector);

        Assert.Equal(vector.GetProperty("canonical").GetString(), PayproSignature.Canonicalize(fields.AsPairs()));
        Assert.Equal(vector.GetProperty("sign").GetString(), fields.Sign);
        Assert.Equal(0, fields.MatchSignature([secret], salt));
        Assert.Equal(vector.GetProperty("sign").GetString(), PayproSignature.Compute(fields.AsPairs(), secret, salt));
    }

    [Fact]
    public void The_data_file_is_the_one_the_theories_enumerate()
    {
        // Guards against an empty or renamed file silently producing zero theory cases.
        Assert.True(RequestVectors().Count >= 8);
        Assert.NotEmpty(NotifyVectors());
    }

    private static TheoryData<string> Names(string section)
    {
        var data = new TheoryData<string>();
        foreach (var vector in Vectors.Value.RootElement.GetProperty(section).EnumerateArray())
        {
            data.Add(vector.GetProperty("name").GetString()!);
        }
        return data;
    }

    private static JsonElement Find(string section, string name) =>
        Vectors.Value.RootElement.GetProperty(section).EnumerateArray().Single(v => v.GetProperty("name").GetString() == name);

    private static SaltPosition SaltOf(JsonElement vector) => vector.GetProperty("saltPosition").GetString() switch
    {
        "append" => SaltPosition.Append,
        "prepend" => SaltPosition.Prepend,
        var other => throw new InvalidOperationException($"Unknown saltPosition '{other}' in signing-vectors.json."),
    };
}
