using System.Collections;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;

namespace Herald.Server.Configuration;

/// <summary>What the command line asked for: help, a configuration error, or options to run with.</summary>
internal sealed record CommandLineResult(bool ShowHelp, string? Error, HeraldOptions? Options)
{
    public static CommandLineResult Help { get; } = new(true, null, null);

    public static CommandLineResult Failed(string error) => new(false, error, null);

    public static CommandLineResult Run(HeraldOptions options) => new(false, null, options);
}

/// <summary>
/// Turns <c>herald</c>'s arguments, environment and <c>herald.json</c> into <see cref="HeraldOptions"/>, using
/// Microsoft.Extensions.Configuration with the sources in precedence order (json, then environment, then flags;
/// later wins). Every mapping comes from <see cref="HeraldOptionTable"/>. Pure apart from reading the json file, so
/// tests call it directly.
/// </summary>
internal static class HeraldCommandLine
{
    public static CommandLineResult Parse(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        if (args.Any(a => a is "--help" or "-h"))
        {
            return CommandLineResult.Help;
        }

        // The configuration command-line provider ignores unknown switches and missing values; Herald rejects them.
        if (FindArgumentError(args) is { } argumentError)
        {
            return CommandLineResult.Failed(argumentError);
        }

        var switchMappings = HeraldOptionTable.All.ToDictionary(o => o.Flag, o => o.ConfigKey, StringComparer.Ordinal);
        var environmentValues = HeraldOptionTable.All
            .Where(o => !string.IsNullOrEmpty(environment.GetValueOrDefault(o.EnvironmentVariable)))
            .Select(o => KeyValuePair.Create(o.ConfigKey, (string?)environment[o.EnvironmentVariable]))
            .ToList();

        // The config file's location is itself a setting, so it is read from the two sources that outrank the file.
        var locator = new ConfigurationBuilder()
            .AddInMemoryCollection(environmentValues)
            .AddCommandLine(args.ToArray(), switchMappings)
            .Build();
        var configNamed = locator["config"];
        var configPath = Path.GetFullPath(configNamed ?? HeraldOptionTable.DefaultConfigFile, workingDirectory);
        if (configNamed is not null && !File.Exists(configPath))
        {
            return CommandLineResult.Failed($"config file {configPath} does not exist");
        }

        IConfigurationRoot configuration;
        try
        {
            configuration = new ConfigurationBuilder()
                .AddJsonFile(configPath, optional: true, reloadOnChange: false)
                .AddInMemoryCollection(environmentValues)
                .AddCommandLine(args.ToArray(), switchMappings)
                .Build();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or JsonException or IOException)
        {
            return CommandLineResult.Failed($"cannot read config file {configPath}: {Flatten(e)}");
        }

        if (FindUnknownJsonKey(configuration) is { } unknownKey)
        {
            return CommandLineResult.Failed(
                $"unknown key \"{unknownKey}\" in config file {configPath} (run 'herald --help' to list options)");
        }

        var options = new HeraldOptions();
        foreach (var option in HeraldOptionTable.All)
        {
            if (option.Set is null || configuration[option.ConfigKey] is not { } value)
            {
                continue;
            }

            if (option.Set(options, value.Trim()) is { } expected)
            {
                return CommandLineResult.Failed(
                    $"invalid value '{value}' for {option.Flag} (env {option.EnvironmentVariable}, json \"{option.ConfigKey}\"): expected {expected}");
            }
        }

        return CommandLineResult.Run(options);
    }

    /// <summary>The process environment as a dictionary, the shape <see cref="Parse"/> takes.</summary>
    public static IReadOnlyDictionary<string, string> ReadEnvironment()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            values[(string)entry.Key] = entry.Value as string ?? "";
        }

        return values;
    }

    private static string? FindArgumentError(IReadOnlyList<string> args)
    {
        var flags = HeraldOptionTable.All.Select(o => o.Flag).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var argument = args[i];
            if (!argument.StartsWith("--", StringComparison.Ordinal))
            {
                return $"unexpected argument '{argument}' (run 'herald --help' to list options)";
            }

            var separator = argument.IndexOf('=', StringComparison.Ordinal);
            var flag = separator < 0 ? argument : argument[..separator];
            if (!flags.Contains(flag))
            {
                return $"unknown option '{flag}' (run 'herald --help' to list options)";
            }

            if (separator < 0 && ++i == args.Count)
            {
                return $"option {flag} needs a value";
            }
        }

        return null;
    }

    private static string? FindUnknownJsonKey(IConfigurationRoot configuration)
    {
        var known = HeraldOptionTable.All.Where(o => o.Set is not null).Select(o => o.ConfigKey)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var json = configuration.Providers.OfType<JsonConfigurationProvider>().Single();
        return json.GetChildKeys([], parentPath: null).FirstOrDefault(key => !known.Contains(key));
    }

    private static string Flatten(Exception e) =>
        e.InnerException is null ? e.Message : $"{e.Message} {Flatten(e.InnerException)}";
}
