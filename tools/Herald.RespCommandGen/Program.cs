// Herald.RespCommandGen: Redis command metadata -> the RESP front end's command catalog.
//
// What it reads: every <command>.json in the specs directory (redis/redis src/commands/*.json): one object whose
// single property is the command's name, holding arity, group, summary, since, complexity, history, command_flags,
// acl_categories, command_tips, key_specs, arguments, doc_flags, deprecated_since, replaced_by and, for a
// subcommand, its container.
//
// What it writes: RespCommandCatalog.g.cs, one RespCommandSpec per command and subcommand, ordered by full name
// ("client|kill" for a subcommand, as Redis names it), already in the shape COMMAND INFO and COMMAND DOCS report:
//   - flags as Redis's addReplyFlagsForCommand lists them (its order; may_replicate, sentinel, only_sentinel,
//     protected and touches_arbitrary_keys hidden, movablekeys added when the key specs call for it);
//   - ACL categories with the implicit ones Redis's setImplicitACLCategories adds (@write, @read, @admin +
//     @dangerous, @pubsub, @fast, @blocking, otherwise @slow), in Redis's category order;
//   - tips lower-cased, argument tokens upper-cased, display text defaulting to the name (as Redis does);
//   - the legacy (first key, last key, step) triple from the key specs (populateCommandLegacyRangeSpec).
// The front end registers handlers against these specs; a spec without a handler is not advertised.
//
// How to run, from the repository root:
//   dotnet run --project tools/Herald.RespCommandGen                       # defaults below
//   dotnet run --project tools/Herald.RespCommandGen -- <specs-dir> <output-file>
//   dotnet run --project tools/Herald.RespCommandGen -- --check            # exit 1 if the committed file is stale
// Defaults: specs ../shared/specs/redis-commands and output
// src/Herald.Frontends.Resp/Generated/RespCommandCatalog.g.cs, relative to the repository root (the directory
// holding Herald.slnx, found from the current directory). Output is deterministic ("\n" line ends, ordinal order,
// no timestamps); the specs are reference data and are never copied into the repository.

using System.Text;
using Herald.RespCommandGen;

var positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
var check = args.Contains("--check");
var root = CatalogGenerator.FindRepositoryRoot(Directory.GetCurrentDirectory());
if (positional.Length < 2 && root is null)
{
    Console.Error.WriteLine("Run from inside the Herald repository, or pass <specs-dir> <output-file>.");
    return 2;
}
var specs = positional.Length > 0 ? positional[0] : Path.GetFullPath(Path.Combine(root!, CatalogGenerator.DefaultSpecsDirectory));
var output = positional.Length > 1 ? positional[1] : Path.Combine(root!, CatalogGenerator.DefaultOutputFile);
if (!Directory.Exists(specs))
{
    Console.Error.WriteLine($"Specs directory not found: {specs}");
    return 2;
}

var content = CatalogGenerator.Generate(specs);
var current = File.Exists(output) ? File.ReadAllText(output) : null;
if (current == content)
{
    Console.WriteLine($"{output}: up to date.");
    return 0;
}
if (check)
{
    Console.Error.WriteLine($"stale: {output}");
    return 1;
}
Directory.CreateDirectory(Path.GetDirectoryName(output)!);
// UTF-8 without a byte-order mark, so the bytes depend on nothing but the text.
File.WriteAllText(output, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
Console.WriteLine($"{output}: written.");
return 0;
