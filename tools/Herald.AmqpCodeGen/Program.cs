// Herald.AmqpCodeGen: the AMQP 0-9-1 spec (RabbitMQ's JSON, with its extensions) -> the AMQP codec.
//
// What it reads: ../shared/specs/amqp-0-9-1/amqp-rabbitmq-0.9.1.json (domains, constants, classes with methods,
// arguments and the basic content properties). See AmqpSpec.cs.
//
// What it writes (see AmqpCodeGenerator.cs):
//   src/Herald.Protocols.Amqp/Generated/AmqpConstants.g.cs    frame constants, reply codes, class ids, method names
//   src/Herald.Protocols.Amqp/Generated/<Class>Methods.g.cs   one readonly record struct per method: typed fields with
//                                                             the spec's defaults, GetSize, Write, Read (bits packed)
//   src/Herald.Protocols.Amqp/Generated/BasicProperties.g.cs  the content header property list and its flags
//   src/Herald.Frontends.Amqp/Generated/AmqpChannelMethods.g.cs  the front end's per-channel dispatch seam
//
// How to run, from the repository root:
//   dotnet run --project tools/Herald.AmqpCodeGen                  # default spec file
//   dotnet run --project tools/Herald.AmqpCodeGen -- <spec-file>
//   dotnet run --project tools/Herald.AmqpCodeGen -- --check       # exit 1 if a committed file is stale
// Output is deterministic; the spec is reference data and is never copied into the repository.

using System.Text;
using Herald.AmqpCodeGen;

var positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
var check = args.Contains("--check");
var root = AmqpCodeGenerator.FindRepositoryRoot(Directory.GetCurrentDirectory());
if (root is null)
{
    Console.Error.WriteLine("Run from inside the Herald repository.");
    return 2;
}
var spec = positional.Length > 0 ? positional[0] : Path.GetFullPath(Path.Combine(root, AmqpCodeGenerator.DefaultSpecFile));
if (!File.Exists(spec))
{
    Console.Error.WriteLine($"Spec file not found: {spec}");
    return 2;
}

var stale = 0;
foreach (var file in AmqpCodeGenerator.Generate(spec))
{
    var output = Path.Combine(root, file.RelativePath);
    if (File.Exists(output) && File.ReadAllText(output) == file.Content)
    {
        continue;
    }
    stale++;
    if (check)
    {
        Console.Error.WriteLine($"stale: {file.RelativePath}");
        continue;
    }
    Directory.CreateDirectory(Path.GetDirectoryName(output)!);
    // UTF-8 without a byte-order mark, so the bytes depend on nothing but the text.
    File.WriteAllText(output, file.Content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    Console.WriteLine($"{file.RelativePath}: written.");
}
return check && stale > 0 ? 1 : 0;
