namespace Herald.Frontends.Resp.Catalog;

/// <summary>
/// What Redis's metadata says about one command or subcommand, already in the shape COMMAND INFO and COMMAND DOCS
/// report it (flag order, implicit ACL categories, the legacy key triple): see tools/Herald.RespCommandGen. The
/// instances are generated (<see cref="RespCommandCatalog.All"/>) and immutable.
/// </summary>
internal sealed class RespCommandSpec
{
    /// <summary>Lower case; <c>container|name</c> for a subcommand (<c>client|kill</c>), as Redis names it.</summary>
    public required string Name { get; init; }

    /// <summary>The container command of a subcommand (<c>client</c>), or null.</summary>
    public string? Container { get; init; }

    /// <summary>Redis arity: N exactly N arguments (the name counts), -N at least N.</summary>
    public required int Arity { get; init; }

    public required string Group { get; init; }

    public string? Summary { get; init; }

    public string? Since { get; init; }

    public string? Complexity { get; init; }

    public string? DeprecatedSince { get; init; }

    public string? ReplacedBy { get; init; }

    public string[] DocFlags { get; init; } = [];

    public string[] Flags { get; init; } = [];

    public string[] AclCategories { get; init; } = [];

    public string[] Tips { get; init; } = [];

    public int FirstKey { get; init; }

    public int LastKey { get; init; }

    public int KeyStep { get; init; }

    public RespCommandHistory[] History { get; init; } = [];

    public RespKeySpec[] KeySpecs { get; init; } = [];

    public RespArgumentSpec[] Arguments { get; init; } = [];

    /// <summary>The part after the container's name: <c>kill</c> for <c>client|kill</c>.</summary>
    public string ShortName => Container is null ? Name : Name[(Container.Length + 1)..];

    /// <summary>Whether <paramref name="argumentCount"/> arguments (the name included) satisfy <see cref="Arity"/>.</summary>
    public bool AcceptsArgumentCount(int argumentCount) =>
        Arity >= 0 ? argumentCount == Arity : argumentCount >= -Arity;
}

/// <summary>One entry of a command's history: the version and what changed.</summary>
internal sealed record RespCommandHistory(string Since, string Change);

/// <summary>How a key spec finds its first key.</summary>
internal enum RespKeySearch
{
    Unknown,
    Index,
    Keyword,
}

/// <summary>How a key spec finds the keys after the first.</summary>
internal enum RespKeyFind
{
    Unknown,
    Range,
    KeyNum,
}

/// <summary>A Redis 7 key specification, as COMMAND INFO reports it.</summary>
internal sealed class RespKeySpec
{
    public string? Notes { get; init; }

    public string[] Flags { get; init; } = [];

    public RespKeySearch BeginSearch { get; init; }

    public int Index { get; init; }

    public string? Keyword { get; init; }

    public int StartFrom { get; init; }

    public RespKeyFind FindKeys { get; init; }

    public int LastKey { get; init; }

    public int KeyStep { get; init; }

    public int Limit { get; init; }

    public int KeyNumIndex { get; init; }

    public int FirstKey { get; init; }
}

/// <summary>One argument of a command, as COMMAND DOCS reports it; oneof and block arguments nest.</summary>
internal sealed class RespArgumentSpec
{
    public required string Name { get; init; }

    /// <summary>string, integer, double, key, pattern, unix-time, pure-token, oneof or block.</summary>
    public required string Type { get; init; }

    /// <summary>Null for oneof and block, which Redis shows without one.</summary>
    public string? DisplayText { get; init; }

    public int KeySpecIndex { get; init; } = -1;

    public string? Token { get; init; }

    public string? Summary { get; init; }

    public string? Since { get; init; }

    public string? DeprecatedSince { get; init; }

    public string[] Flags { get; init; } = [];

    public RespArgumentSpec[] Arguments { get; init; } = [];
}
