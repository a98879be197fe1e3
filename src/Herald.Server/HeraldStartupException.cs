namespace Herald.Server;

/// <summary>Why a node could not start.</summary>
public enum HeraldStartupError
{
    /// <summary>An option value is out of range or unknown. <c>herald</c> exits with code 2.</summary>
    InvalidOptions,

    /// <summary>A listener's port is already taken. <c>herald</c> exits with code 3.</summary>
    PortInUse,

    /// <summary>
    /// The data directory cannot be created or written, is a file, or is locked by another node. <c>herald</c>
    /// exits with code 4.
    /// </summary>
    DataDirectoryUnavailable,
}

/// <summary>
/// Thrown by <see cref="HeraldServer.StartAsync"/> when the node cannot start for a reason an operator can fix.
/// The message is one line that names the setting involved (the port and protocol, or the directory).
/// </summary>
public sealed class HeraldStartupException : Exception
{
    /// <summary>Creates the exception for <paramref name="error"/>.</summary>
    public HeraldStartupException(HeraldStartupError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>The kind of failure; <c>herald</c> turns it into its exit code.</summary>
    public HeraldStartupError Error { get; }
}
