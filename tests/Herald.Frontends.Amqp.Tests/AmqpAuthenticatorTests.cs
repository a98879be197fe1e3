using System.Net;
using Herald.Frontends.Amqp.Authentication;

namespace Herald.Frontends.Amqp.Tests;

/// <summary>PLAIN and AMQPLAIN parsing and RabbitMQ's loopback-only rule for guest.</summary>
public sealed class AmqpAuthenticatorTests
{
    private static readonly AmqpFrontendOptions Options = new()
    {
        Users = new Dictionary<string, string> { ["guest"] = "guest", ["app"] = "secret" },
    };

    [Fact]
    public void Plain_carries_authzid_user_and_password_separated_by_nul()
    {
        Assert.Equal(("guest", "pw"), AmqpAuthenticator.Parse("PLAIN", "\0guest\0pw"u8));
        Assert.Equal(("guest", "pw"), AmqpAuthenticator.Parse("PLAIN", "admin\0guest\0pw"u8));
        Assert.Equal((null, null), AmqpAuthenticator.Parse("PLAIN", "guest"u8));
        Assert.Equal((null, null), AmqpAuthenticator.Parse("AMQPLAIN", [0x05, (byte)'L']));
    }

    [Fact]
    public void Guest_may_connect_from_loopback_only_and_other_users_from_anywhere()
    {
        var loopback = new IPEndPoint(IPAddress.Loopback, 5000);
        var remote = new IPEndPoint(IPAddress.Parse("10.1.2.3"), 5000);

        Assert.Null(AmqpAuthenticator.Check(Options, "guest", "guest", loopback));
        Assert.Null(AmqpAuthenticator.Check(Options, "guest", "guest", new IPEndPoint(IPAddress.IPv6Loopback, 5000)));
        Assert.Equal("user 'guest' can only connect via localhost", AmqpAuthenticator.Check(Options, "guest", "guest", remote));
        Assert.Null(AmqpAuthenticator.Check(Options, "app", "secret", remote));
        Assert.Equal("user 'app' - invalid credentials", AmqpAuthenticator.Check(Options, "app", "wrong", remote));
        Assert.Equal("user 'nobody' - invalid credentials", AmqpAuthenticator.Check(Options, "nobody", "x", loopback));
        Assert.Equal("malformed credentials", AmqpAuthenticator.Check(Options, null, null, loopback));
    }
}
