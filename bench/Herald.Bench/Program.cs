using Herald.Bench.Cli;

namespace Herald.Bench;

/// <summary>
/// Entry point: <c>herald-bench &lt;command&gt; [options]</c>. The commands are the <see cref="IBenchCommand"/>
/// implementations in this assembly, found by reflection so that a new benchmark is one new file.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var commands = Discover();
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            PrintUsage(commands);
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        }
        var command = commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            Console.Error.WriteLine($"Unknown command '{args[0]}'.");
            PrintUsage(commands);
            return ExitCodes.Usage;
        }

        using var cancellation = new CancellationTokenSource();
        // Ctrl+C stops the run between measurements so the command can still delete its temporary files.
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        try
        {
            return await command.RunAsync(args[1..], cancellation.Token);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(command.Usage);
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            Console.Error.WriteLine("Cancelled.");
            return ExitCodes.Cancelled;
        }
    }

    private static List<IBenchCommand> Discover() =>
        typeof(Program).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IBenchCommand).IsAssignableFrom(t))
            .Select(t => (IBenchCommand)Activator.CreateInstance(t)!)
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();

    private static void PrintUsage(IEnumerable<IBenchCommand> commands)
    {
        Console.Error.WriteLine("usage: bench/run <command> [options]");
        Console.Error.WriteLine();
        Console.Error.WriteLine("commands:");
        foreach (var command in commands)
        {
            Console.Error.WriteLine($"  {command.Name,-10} {command.Summary}");
        }
        Console.Error.WriteLine();
        Console.Error.WriteLine(BenchOptions.CommonUsage);
    }
}
