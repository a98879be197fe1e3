namespace Herald.Protocols.Resp;

/// <summary>
/// Limits a <see cref="RespReader"/> enforces on every request, each checked as soon as the number it bounds is on
/// the wire and before anything is allocated for it. <see cref="Default"/> follows Redis's defaults;
/// <see cref="Unauthenticated"/> follows Redis 7's stricter limits for a connection that has not authenticated yet,
/// with Redis's distinct error messages.
/// </summary>
public readonly record struct RespReaderLimits
{
    /// <summary>Redis's <c>PROTO_INLINE_MAX_SIZE</c>: the longest inline request line, and the longest header line.</summary>
    public const int DefaultMaxInlineBytes = 64 * 1024;

    /// <summary>Redis's <c>proto-max-bulk-len</c> default, 512 MiB.</summary>
    public const long DefaultMaxBulkBytes = 512L * 1024 * 1024;

    /// <summary>
    /// Redis bounds a multibulk count only by <c>INT_MAX</c>; Herald stops at 1 Mi arguments, far above what any
    /// client sends (redis-cli's largest commands carry a few thousand) and small enough that the argument table of
    /// a hostile request stays at a few megabytes.
    /// </summary>
    public const int DefaultMaxArguments = 1024 * 1024;

    /// <summary>Redis's <c>client-query-buffer-limit</c> default, 1 GiB: the bytes of all arguments of one request.</summary>
    public const long DefaultMaxRequestBytes = 1024L * 1024 * 1024;

    public RespReaderLimits(int maxArguments, long maxBulkBytes, int maxInlineBytes, long maxRequestBytes, bool unauthenticated = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxArguments, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBulkBytes, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInlineBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRequestBytes, 1);
        MaxArguments = maxArguments;
        MaxBulkBytes = maxBulkBytes;
        MaxInlineBytes = maxInlineBytes;
        MaxRequestBytes = maxRequestBytes;
        IsUnauthenticated = unauthenticated;
    }

    /// <summary>Redis's defaults for an authenticated connection (or any connection when no password is set).</summary>
    public static RespReaderLimits Default { get; } =
        new(DefaultMaxArguments, DefaultMaxBulkBytes, DefaultMaxInlineBytes, DefaultMaxRequestBytes);

    /// <summary>Redis 7 before authentication: at most 10 arguments of at most 16 KiB each.</summary>
    public static RespReaderLimits Unauthenticated { get; } =
        new(10, 16 * 1024, DefaultMaxInlineBytes, DefaultMaxRequestBytes, unauthenticated: true);

    /// <summary>The most elements a multibulk request may announce.</summary>
    public int MaxArguments { get; }

    /// <summary>The longest bulk string a request may announce.</summary>
    public long MaxBulkBytes { get; }

    /// <summary>The longest inline request line, and the longest <c>*</c>/<c>$</c> header line.</summary>
    public int MaxInlineBytes { get; }

    /// <summary>The most argument bytes one request may hold in total.</summary>
    public long MaxRequestBytes { get; }

    /// <summary>Selects Redis's <c>unauthenticated multibulk length</c>/<c>bulk length</c> messages.</summary>
    public bool IsUnauthenticated { get; }
}
