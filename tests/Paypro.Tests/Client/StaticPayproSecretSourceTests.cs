using Paypro.Tests.Infrastructure;

namespace Paypro.Tests.Client;

public sealed class StaticPayproSecretSourceTests
{
    [Fact]
    public async Task It_hands_out_the_secret_and_never_shows_it()
    {
        var source = new StaticPayproSecretSource(TestPaypro.Secret);

        Assert.Equal(TestPaypro.Secret, await source.GetSigningSecretAsync());
        Assert.DoesNotContain(TestPaypro.Secret, source.ToString());
        Assert.DoesNotContain(TestPaypro.Secret, $"{source}");
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void An_empty_secret_is_refused(string? secret)
    {
        var ex = Assert.Throws<ArgumentException>(() => new StaticPayproSecretSource(secret!));

        Assert.Equal("secret", ex.ParamName);
    }
}
