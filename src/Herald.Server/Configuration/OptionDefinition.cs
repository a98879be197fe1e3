namespace Herald.Server.Configuration;

/// <summary>
/// Parses <paramref name="value"/> into <paramref name="options"/>. Returns null on success, otherwise what was
/// expected instead (for example "a port number 0..65535"), which the caller turns into the error message.
/// </summary>
internal delegate string? OptionSetter(HeraldOptions options, string value);

/// <summary>
/// One row of <see cref="HeraldOptionTable"/>: the three names a setting goes by and how it reaches
/// <see cref="HeraldOptions"/>. <see cref="Default"/> reads the value from a fresh <see cref="HeraldOptions"/>, so
/// the defaults live in one place. A row with no <see cref="Set"/> is read by the command line itself and never
/// reaches <see cref="HeraldOptions"/> (only <c>--config</c>).
/// </summary>
/// <param name="Flag">Command-line switch, <c>--kebab-case</c>; <c>--flag value</c> and <c>--flag=value</c> both work.</param>
/// <param name="EnvironmentVariable">Environment variable, <c>HERALD_SNAKE_CASE</c>.</param>
/// <param name="ConfigKey">Configuration key, camelCase; also the key in <c>herald.json</c>.</param>
/// <param name="ValueName">Placeholder shown in help, e.g. <c>port</c> or <c>always|interval|os</c>.</param>
/// <param name="Help">One sentence or two for <c>--help</c>.</param>
/// <param name="Default">The default, formatted as a user would type it.</param>
/// <param name="Set">Parses a value into the options.</param>
internal sealed record OptionDefinition(
    string Flag,
    string EnvironmentVariable,
    string ConfigKey,
    string ValueName,
    string Help,
    Func<HeraldOptions, string> Default,
    OptionSetter? Set);
