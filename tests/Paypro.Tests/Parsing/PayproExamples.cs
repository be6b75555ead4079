namespace Paypro.Tests.Parsing;

/// <summary>The example bodies of Paypro's Kenya pages (seeds) and of the API notes, verbatim.</summary>
public static class PayproExamples
{
    /// <summary>Payout Query API, request example.</summary>
    public const string PayoutQueryRequest = """
        {
                "tradeNo": "1000002",
            	"sign": "00000000000"
            }
        """;

    /// <summary>Payout Query API, successful response example.</summary>
    public const string PayoutQueryResponse = """
        {
                "msg": "success",
                "code": "0000",
                "timestamp": 1719830071094,
                "success": true,
                "data": {
                    "platFormTradeNo": "5286e98841194687a95d25b5f3be346d",
                    "tradeNo": "00000020",
                    "amount": 3.0000,
                    "status": "00029",
                    "message": "REJECTED_TRANSACTION",
                    "successTime": "2024-07-01 18:34:31"
                }
            }
        """;

    /// <summary>Mpesa Query API, request example.</summary>
    public const string MpesaQueryRequest = """
        {
                "code": "SHL2A6WAQU",
            	"timestamp":"2222222222",
            	"sign": "000000000"
            }
        """;

    /// <summary>Mpesa Query API, response example.</summary>
    public const string MpesaQueryResponse = """
        {
                "msg": "success",
                "code": "0000",
                "timestamp": 1719830071094,
                "success": true,
                "data": {
                    "platFormTradeNo": "5286e98841194687a95d25b5f3be346d",
                    "tradeNo": "00000020",
                    "amount": 3.0000,
                    "status": "00029",
            		"mpesaReceiptNumber": "SHL2S6WAAU",
                    "message": "REJECTED_TRANSACTION",
                    "successTime": "2024-07-01 18:34:31"
                }
            }
        """;

    /// <summary>The notify body of the golden vectors (amount as the number 3.0000).</summary>
    public const string Notify = """
        {"platFormTradeNo":"5286e98841194687a95d25b5f3be346d","tradeNo":"00000020","amount":3.0000,"status":"00029",
        "message":"REJECTED_TRANSACTION","successTime":"2024-07-01 18:34:31",
        """ + """
        "timestamp":"1719830071094","sign":"c42130b86b5d56833fc330ef19752152"}
        """;

    /// <summary>A create answer as the API notes describe it: data.serialNumber and data.status.</summary>
    public const string CreateResponse =
        """{"msg":"success","code":"0000","timestamp":1719830071094,"success":true,"data":""" +
        """{"serialNumber":"P2024070118343100001","status":"0015"}}""";

    /// <summary>A balance answer with the fields other Paypro countries document.</summary>
    public const string BalanceResponse =
        """{"msg":"success","code":"0000","timestamp":1719830071094,"success":true,"data":""" +
        """{"availableAmount":"12500.50","freezeAmount":0,"unsettledAmount":"300"}}""";
}
