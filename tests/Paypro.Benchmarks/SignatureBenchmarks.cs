using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;

namespace Paypro.Benchmarks;

/// <summary>
/// The design's budget: verifying a notify signature costs no more than twice an MD5 over the same
/// canonical bytes. The body is the golden notify vector, already parsed, as the notify endpoint holds it
/// when it verifies.
/// </summary>
[MemoryDiagnoser]
public class SignatureBenchmarks
{
    private const string Secret = "3f2b9c7e1a6d4e0f8b5a2c9d7e1f4a6b";

    private const string NotifyBody = """
        {"platFormTradeNo":"5286e98841194687a95d25b5f3be346d","tradeNo":"00000020","amount":3.0000,"status":"00029",
        "message":"REJECTED_TRANSACTION","successTime":"2024-07-01 18:34:31",
        """ + """
        "timestamp":"1719830071094","sign":"c42130b86b5d56833fc330ef19752152"}
        """;

    private readonly byte[] _hash = new byte[MD5.HashSizeInBytes];
    private readonly string[] _secrets = [Secret];
    private PayproFields _fields = null!;
    private byte[] _signedBytes = null!;
    private byte[] _body = null!;

    [GlobalSetup]
    public void Setup()
    {
        _body = Encoding.UTF8.GetBytes(NotifyBody);
        _fields = PayproFields.Parse(_body);
        _signedBytes = Encoding.UTF8.GetBytes(PayproSignature.Canonicalize(_fields.AsPairs()) + Secret);
        if (_fields.MatchSignature(_secrets, SaltPosition.Append) != 0)
        {
            throw new InvalidOperationException("The benchmark body does not verify; the numbers would mean nothing.");
        }
    }

    /// <summary>MD5 over exactly the bytes a verification hashes: the canonical string plus the secret.</summary>
    [Benchmark(Baseline = true)]
    public byte[] Md5OverCanonicalBytes()
    {
        MD5.HashData(_signedBytes, _hash);
        return _hash;
    }

    /// <summary>What the notify endpoint does: verify the parsed body's sign against the current secret.</summary>
    [Benchmark]
    public int VerifyNotify() => _fields.MatchSignature(_secrets, SaltPosition.Append);

    /// <summary>For scale: parsing the raw body as well, which the budget does not cover.</summary>
    [Benchmark]
    public int ParseAndVerifyNotify() => PayproFields.Parse(_body).MatchSignature(_secrets, SaltPosition.Append);
}
