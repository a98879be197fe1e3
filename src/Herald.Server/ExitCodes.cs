namespace Herald.Server;

/// <summary>
/// <c>herald</c>'s exit codes. Scripts and tests depend on them, so they never change meaning; new failures get
/// new numbers.
/// </summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int UnexpectedFailure = 1;
    public const int InvalidOptions = 2;
    public const int PortInUse = 3;
    public const int DataDirectoryUnavailable = 4;

    public static int For(HeraldStartupError error) => error switch
    {
        HeraldStartupError.InvalidOptions => InvalidOptions,
        HeraldStartupError.PortInUse => PortInUse,
        HeraldStartupError.DataDirectoryUnavailable => DataDirectoryUnavailable,
        _ => UnexpectedFailure,
    };
}
