namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// AUTH [username] password. Herald has no users yet, so it behaves as Redis with <c>requirepass</c> unset: the
/// <c>default</c> user has no password and accepts any, the one-argument form is refused with Redis's hint, and any
/// other user name fails as a wrong password would. HELLO's AUTH option uses <see cref="TryAuthenticate"/>.
/// </summary>
internal static class AuthCommand
{
    public const string WrongPassword = "WRONGPASS invalid username-password pair or user is disabled.";

    public static ValueTask Execute(RespCommandContext context)
    {
        if (context.ArgumentCount > 3)
        {
            context.ReplyError(RespErrors.Syntax);
        }
        else if (context.ArgumentCount == 2)
        {
            context.ReplyError(
                "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
        }
        else if (TryAuthenticate(context.Argument(1), context.Argument(2)))
        {
            context.ReplyOk();
        }
        else
        {
            context.ReplyError(WrongPassword);
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Redis's ACLAuthenticateUser for a server whose only user is <c>default</c> with <c>nopass</c>.</summary>
    public static bool TryAuthenticate(ReadOnlySpan<byte> username, ReadOnlySpan<byte> password)
    {
        _ = password;
        return username.SequenceEqual("default"u8);
    }
}
