using System.Security.Cryptography;
using System.Text;
using Paypro.Tests.Infrastructure;

namespace Paypro.Tests.Signing;

public sealed class PayproSignatureTests
{
    private const string Secret = TestPaypro.Secret;

    private static KeyValuePair<string, string?> F(string key, string? value) => new(key, value);

    private static string Md5(string text) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void Keys_are_sorted_ordinally_and_case_sensitively()
    {
        // Ordinal: upper case sorts before lower case, and "a" before "aa" before "b".
        var fields = new[] { F("b", "3"), F("aa", "2"), F("a", "1"), F("Z", "0") };

        Assert.Equal("Z=0a=1aa=2b=3", PayproSignature.Canonicalize(fields));
        Assert.Equal(Md5("Z=0a=1aa=2b=3" + Secret), PayproSignature.Compute(fields, Secret));
    }

    [Fact]
    public void Input_order_does_not_change_the_sign()
    {
        var one = new[] { F("tradeNo", "T1"), F("amount", "50"), F("mobile", "254712345678") };
        var other = one.Reverse().ToArray();

        Assert.Equal(PayproSignature.Compute(one, Secret), PayproSignature.Compute(other, Secret));
    }

    [Fact]
    public void Empty_and_null_values_and_the_sign_field_are_left_out()
    {
        var fields = new[] { F("amount", "50"), F("remark", ""), F("notifyUrl", null), F("sign", "abc"), F("tradeNo", "T1") };

        Assert.Equal("amount=50tradeNo=T1", PayproSignature.Canonicalize(fields));
        Assert.Equal(Md5("amount=50tradeNo=T1" + Secret), PayproSignature.Compute(fields, Secret));
    }

    [Fact]
    public void Non_ascii_text_is_signed_as_utf8_bytes()
    {
        var fields = new[] { F("remark", "Malipo ya Juma — asante ✓"), F("tradeNo", "U-1") };
        var expected = Convert.ToHexStringLower(
            MD5.HashData(Encoding.UTF8.GetBytes("remark=Malipo ya Juma — asante ✓tradeNo=U-1" + Secret)));

        Assert.Equal(expected, PayproSignature.Compute(fields, Secret));
        // Latin-1 would give another digest: the test would catch a wrong encoding.
        Assert.NotEqual(
            Convert.ToHexStringLower(MD5.HashData(Encoding.Latin1.GetBytes("remark=Malipo ya Juma — asante ✓tradeNo=U-1" + Secret))),
            expected);
    }

    [Fact]
    public void Both_salt_positions_put_the_secret_where_they_say()
    {
        var fields = new[] { F("tradeNo", "00000020") };

        Assert.Equal(Md5("tradeNo=00000020" + Secret), PayproSignature.Compute(fields, Secret, SaltPosition.Append));
        Assert.Equal(Md5(Secret + "tradeNo=00000020"), PayproSignature.Compute(fields, Secret, SaltPosition.Prepend));
        Assert.Equal(PayproSignature.Compute(fields, Secret), PayproSignature.Compute(fields, Secret, SaltPosition.Append));
    }

    [Fact]
    public void A_tampered_body_does_not_match()
    {
        var fields = new[] { F("amount", "50"), F("tradeNo", "T1") };
        var sign = PayproSignature.Compute(fields, Secret);

        Assert.True(PayproSignature.Matches(fields, sign, Secret));
        Assert.False(PayproSignature.Matches([F("amount", "500"), F("tradeNo", "T1")], sign, Secret));
        Assert.False(PayproSignature.Matches([F("amount", "50"), F("tradeNo", "T2")], sign, Secret));
        Assert.False(PayproSignature.Matches([F("amount", "50"), F("tradeNo", "T1"), F("status", "0000")], sign, Secret));
        Assert.False(PayproSignature.Matches([F("amount", "50")], sign, Secret));
    }

    [Fact]
    public void A_wrong_secret_does_not_match()
    {
        var fields = new[] { F("amount", "50"), F("tradeNo", "T1") };
        var sign = PayproSignature.Compute(fields, Secret);

        Assert.False(PayproSignature.Matches(fields, sign, "another-secret"));
        Assert.Equal(-1, PayproSignature.MatchAny(fields, sign, ["another-secret", "third"]));
    }

    [Theory]
    [InlineData("upper")]
    [InlineData("short")]
    [InlineData("long")]
    [InlineData("nonhex")]
    [InlineData("empty")]
    [InlineData("null")]
    public void A_malformed_sign_does_not_match(string kind)
    {
        var fields = new[] { F("amount", "50"), F("tradeNo", "T1") };
        var sign = PayproSignature.Compute(fields, Secret);
        var malformed = kind switch
        {
            "upper" => sign.ToUpperInvariant(),
            "short" => sign[..31],
            "long" => sign + "0",
            "nonhex" => "g" + sign[1..],
            "empty" => "",
            _ => null,
        };
        Assert.Matches("[a-f]", sign); // so that upper-casing really changes it

        Assert.False(PayproSignature.Matches(fields, malformed, Secret));
        Assert.Equal(-1, PayproSignature.MatchAny(fields, malformed, [Secret]));
    }

    [Fact]
    public void MatchAny_returns_the_index_of_the_matching_secret()
    {
        var fields = new[] { F("amount", "50"), F("tradeNo", "T1") };
        var sign = PayproSignature.Compute(fields, "previous");

        Assert.Equal(1, PayproSignature.MatchAny(fields, sign, [Secret, "previous"]));
        Assert.Equal(0, PayproSignature.MatchAny(fields, sign, ["previous", Secret]));
    }

    [Fact]
    public void An_empty_secret_is_refused_without_quoting_anything()
    {
        var ex = Assert.Throws<ArgumentException>(() => PayproSignature.Compute([F("amount", "50")], ""));

        Assert.Contains("secret is empty", ex.Message);
    }

    [Fact]
    public void A_lone_surrogate_is_refused_and_the_secret_is_not_in_the_message()
    {
        var ex = Assert.Throws<ArgumentException>(() => PayproSignature.Compute([F("remark", "bad \ud800 text")], Secret));

        Assert.Contains("lone surrogate", ex.Message);
        Assert.DoesNotContain(Secret, ex.ToString());
    }
}
