// Herald.CodeGen: Kafka message schemas -> C# codec.
//
// What it reads: every request, response and header schema (*.json with "type" request/response/header) in the
// specs directory, Apache Kafka's clients/src/main/resources/common/message files. The JSON has // comments; they
// are skipped. The "data" schemas (consumer protocol, snapshot records) are not wire messages and are ignored.
//
// What it writes, into the output directory:
//   <Message>.g.cs        one class per schema (ProduceRequest, ProduceResponse, ..., RequestHeader,
//                         ResponseHeader) handling all valid versions: fields as properties with the schema's
//                         "about" as XML docs and [KafkaField] version ranges, Read(ref KafkaReader, version),
//                         Write(ref KafkaWriter, version), GetSize(version), and each struct as a nested class.
//   ApiKey.g.cs           the ApiKey enum.
//   ApiMessageTypes.g.cs  the rows of ApiMessageTypes: key, name, valid and flexible versions, request and
//                         response types and factories.
// Stale *.g.cs files in the output directory are deleted. The runtime pieces the generated code calls (KafkaReader,
// KafkaWriter, RawTaggedField, VersionRange...) are hand-written in src/Herald.Protocols.Kafka.
//
// How to run, from the repository root:
//   dotnet run --project tools/Herald.CodeGen                       # defaults below
//   dotnet run --project tools/Herald.CodeGen -- <specs-dir> <output-dir>
//   dotnet run --project tools/Herald.CodeGen -- --check            # exit 1 if the committed files are stale
// Defaults: specs ../shared/specs/kafka-messages and output src/Herald.Protocols.Kafka/Generated, both relative to
// the repository root (the directory holding Herald.slnx, found from the current directory).
//
// Guarantees: output is deterministic (schemas read in ordinal file-name order, fields in schema order, "\n" line
// ends, no timestamps), so regenerating from the same schemas gives byte-identical files; the generated files are
// committed, and Herald.Protocols.Kafka.Tests checks they match a fresh generation. The schemas themselves are
// reference data and never copied into the repository.
//
// Design notes: struct classes are flattened into their message class like Kafka's Java generator; a struct whose
// name would clash with a property of the message (or with one of its own) gets a "Data" suffix. Schema constructs
// no current schema uses and Kafka encodes specially (tagged records, tagged nullable structs) are rejected with an
// error rather than guessed at.

using Herald.CodeGen;

var positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
var check = args.Contains("--check");
var root = KafkaCodeGenerator.FindRepositoryRoot(Directory.GetCurrentDirectory());
if (positional.Length < 2 && root is null)
{
    Console.Error.WriteLine("Run from inside the Herald repository, or pass <specs-dir> <output-dir>.");
    return 2;
}
var specs = positional.Length > 0 ? positional[0] : Path.GetFullPath(Path.Combine(root!, KafkaCodeGenerator.DefaultSpecsDirectory));
var output = positional.Length > 1 ? positional[1] : Path.Combine(root!, KafkaCodeGenerator.DefaultOutputDirectory);
if (!Directory.Exists(specs))
{
    Console.Error.WriteLine($"Specs directory not found: {specs}");
    return 2;
}

var files = KafkaCodeGenerator.Generate(specs);
var expected = files.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
var existing = Directory.Exists(output)
    ? Directory.GetFiles(output, "*.g.cs").Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal)
    : [];
var changed = 0;
Directory.CreateDirectory(output);
foreach (var file in files)
{
    var path = Path.Combine(output, file.Name);
    if (File.Exists(path) && File.ReadAllText(path) == file.Content)
    {
        continue;
    }
    changed++;
    if (check)
    {
        Console.Error.WriteLine($"stale: {file.Name}");
    }
    else
    {
        // UTF-8 without a byte-order mark, so the bytes depend on nothing but the text.
        File.WriteAllText(path, file.Content, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }
}
foreach (var stale in existing.Where(name => !expected.Contains(name)).Order(StringComparer.Ordinal))
{
    changed++;
    if (check)
    {
        Console.Error.WriteLine($"not generated: {stale}");
    }
    else
    {
        File.Delete(Path.Combine(output, stale));
    }
}
Console.WriteLine($"{files.Count} files from {specs}: {changed} {(check ? "out of date" : "written or deleted")}.");
return check && changed > 0 ? 1 : 0;
