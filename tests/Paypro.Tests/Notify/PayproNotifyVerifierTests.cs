using System.Text;

namespace Paypro.Tests.Notify;

/// <summary>The one-call verification of a notify body: verified, or a clear reason, and never half-parsed.</summary>
public sealed class PayproNotifyVerifierTests
{
    private const string Secret = "notify-test-secret-0001";
    private const string Previous = "notify-test-secret-0000";
    private const string Body = """
        {"platFormTradeNo":"p1","tradeNo":"T-100","amount":"120.0000","status":"0000",
        "message":"SUCCESS","successTime":"2026-11-30 12:00:00","timestamp":"1764493200000"}
        """;

    private static byte[] Signed(string json, string secret, SaltPosition salt = SaltPosition.Append)
    {
        var sign = PayproSignature.Compute(PayproFields.Parse(json).AsPairs(), secret, salt);
        return Encoding.UTF8.GetBytes(json.TrimEnd('}') + $",\"sign\":\"{sign}\"}}");
    }

    [Fact]
    public void A_body_signed_with_the_secret_becomes_a_verified_notification()
    {
        var result = PayproNotifyVerifier.Verify(Signed(Body, Secret), [Secret], SaltPosition.Append);

        Assert.True(result.IsVerified);
        Assert.Equal(PayproNotifyFailure.None, result.Failure);
        Assert.Equal("T-100", result.Notification!.TradeNo);
        Assert.Equal("120.0000", result.Notification.AmountText);
        Assert.Equal(0, result.SecretIndex);
        Assert.Null(result.Reason);
        Assert.NotNull(result.Fields!.Sign);
    }

    [Fact]
    public void During_a_rotation_the_previous_secret_verifies_too_and_says_which_matched()
    {
        var result = PayproNotifyVerifier.Verify(Signed(Body, Previous), [Secret, Previous], SaltPosition.Append);

        Assert.True(result.IsVerified);
        Assert.Equal(1, result.SecretIndex);
    }

    [Theory]
    [InlineData(SaltPosition.Append, SaltPosition.Prepend)]
    [InlineData(SaltPosition.Prepend, SaltPosition.Append)]
    public void The_salt_position_is_part_of_the_check(SaltPosition signedWith, SaltPosition checkedWith)
    {
        Assert.True(PayproNotifyVerifier.Verify(Signed(Body, Secret, signedWith), [Secret], signedWith).IsVerified);
        Assert.Equal(
            PayproNotifyFailure.Forged,
            PayproNotifyVerifier.Verify(Signed(Body, Secret, signedWith), [Secret], checkedWith).Failure);
    }

    [Fact]
    public void A_wrong_sign_or_a_tampered_body_is_forged_with_a_reason_that_says_what_to_check_and_no_notification()
    {
        var tampered = Encoding.UTF8.GetString(Signed(Body, Secret)).Replace("\"120.0000\"", "\"1200.0000\"", StringComparison.Ordinal);
        foreach (var body in new[] { Signed(Body, "another-secret"), Encoding.UTF8.GetBytes(tampered) })
        {
            var result = PayproNotifyVerifier.Verify(body, [Secret], SaltPosition.Append);

            Assert.False(result.IsVerified);
            Assert.Equal(PayproNotifyFailure.Forged, result.Failure);
            Assert.Null(result.Notification);
            Assert.Equal(-1, result.SecretIndex);
            Assert.Contains("secret", result.Reason);
            Assert.DoesNotContain(Secret, result.Reason);
            Assert.NotNull(result.Fields);
        }
    }

    [Fact]
    public void A_verified_body_with_a_field_of_the_wrong_shape_is_refused_naming_the_field()
    {
        var result = PayproNotifyVerifier.Verify(
            Signed(Body.Replace("\"0000\"", "\"00 00\"", StringComparison.Ordinal), Secret),
            [Secret],
            SaltPosition.Append);

        Assert.Equal(PayproNotifyFailure.InvalidFields, result.Failure);
        Assert.Null(result.Notification);
        Assert.Contains("status", result.Reason);
    }

    [Fact]
    public void An_unsigned_body_is_only_a_claim_never_a_notification()
    {
        var result = PayproNotifyVerifier.Verify(Encoding.UTF8.GetBytes(Body), [Secret], SaltPosition.Append);

        Assert.Equal(PayproNotifyFailure.Unsigned, result.Failure);
        Assert.False(result.IsVerified);
        Assert.Null(result.Notification);
        Assert.Equal(new PayproUnsignedClaim("T-100", "0000"), result.UnsignedClaim);
        Assert.Contains("query", result.Reason);
    }

    [Theory]
    [InlineData("""{"tradeNo":"T-1","tradeNo":"T-2","amount":"1","status":"0000"}""")]
    [InlineData("{\"tradeNo\":\"T-1\",\"amount\":\"1\",\"status\":\"0000\"")]
    [InlineData("""[{"tradeNo":"T-1"}]""")]
    [InlineData("""{"tradeNo":{"nested":"T-1"},"amount":"1","status":"0000"}""")]
    public async Task A_malformed_body_is_refused_before_any_secret_is_read(string json)
    {
        var reads = 0;
        var result = await PayproNotifyVerifier.VerifyAsync(
            Encoding.UTF8.GetBytes(json),
            _ =>
            {
                reads++;
                return ValueTask.FromResult<IReadOnlyList<string>>([Secret]);
            },
            SaltPosition.Append);

        Assert.Equal(PayproNotifyFailure.Malformed, result.Failure);
        Assert.Null(result.Fields);
        Assert.NotNull(result.Reason);
        Assert.Equal(0, reads);
    }

    [Fact]
    public void Bytes_that_are_not_UTF8_are_malformed()
    {
        var body = Encoding.UTF8.GetBytes(Body);
        body[20] = 0xFF;
        Assert.Equal(PayproNotifyFailure.Malformed, PayproNotifyVerifier.Verify(body, [Secret], SaltPosition.Append).Failure);
    }

    [Fact]
    public async Task The_asynchronous_call_reads_the_secrets_once_for_a_signed_body_and_not_for_an_unsigned_one()
    {
        var reads = 0;
        ValueTask<IReadOnlyList<string>> Secrets(CancellationToken _)
        {
            reads++;
            return ValueTask.FromResult<IReadOnlyList<string>>([Secret]);
        }

        Assert.True((await PayproNotifyVerifier.VerifyAsync(Signed(Body, Secret), Secrets, SaltPosition.Append)).IsVerified);
        Assert.Equal(1, reads);
        Assert.Equal(
            PayproNotifyFailure.Unsigned,
            (await PayproNotifyVerifier.VerifyAsync(Encoding.UTF8.GetBytes(Body), Secrets, SaltPosition.Append)).Failure);
        Assert.Equal(1, reads);
    }
}
