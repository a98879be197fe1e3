using System.Net;
using System.Security.Cryptography;
using System.Text;
using Herald.Protocols.Amqp;

namespace Herald.Frontends.Amqp.Authentication;

/// <summary>
/// Checks a connection.start-ok response against the configured users, for the mechanisms RabbitMQ offers by
/// default: PLAIN (RFC 4616: <c>authzid NUL authcid NUL password</c>) and AMQPLAIN (a field table, without its length
/// word, holding LOGIN and PASSWORD). A loopback-only user (guest) is refused from any other address, as RabbitMQ's
/// <c>loopback_users</c>. Stateless and thread-safe.
/// </summary>
internal static class AmqpAuthenticator
{
    public const string Mechanisms = "PLAIN AMQPLAIN";

    public static bool IsSupported(string mechanism) => mechanism is "PLAIN" or "AMQPLAIN";

    /// <summary>The user name the response carries, or null when it is malformed.</summary>
    public static (string? User, string? Password) Parse(string mechanism, ReadOnlySpan<byte> response)
    {
        if (mechanism == "PLAIN")
        {
            var first = response.IndexOf((byte)0);
            if (first < 0)
            {
                return (null, null);
            }
            var rest = response[(first + 1)..];
            var second = rest.IndexOf((byte)0);
            return second < 0 ? (null, null) : (Encoding.UTF8.GetString(rest[..second]), Encoding.UTF8.GetString(rest[(second + 1)..]));
        }

        try
        {
            var table = AmqpFieldTable.ReadEntries(response);
            return (Text(table["LOGIN"]), Text(table["PASSWORD"]));
        }
        catch (AmqpProtocolException)
        {
            return (null, null);
        }

        static string? Text(object? value) => value switch
        {
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            string text => text,
            _ => null,
        };
    }

    /// <summary>Null when the user may log in from <paramref name="remote"/>; otherwise why not, for the log.</summary>
    public static string? Check(AmqpFrontendOptions options, string? user, string? password, EndPoint? remote)
    {
        if (user is null || password is null)
        {
            return "malformed credentials";
        }
        if (!options.Users.TryGetValue(user, out var expected)
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(password)))
        {
            return $"user '{user}' - invalid credentials";
        }
        if (options.LoopbackUsers.Contains(user) && !(remote is IPEndPoint ip && IPAddress.IsLoopback(ip.Address)))
        {
            return $"user '{user}' can only connect via localhost";
        }
        return null;
    }
}
