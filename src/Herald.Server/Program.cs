using Herald.Server.Configuration;
using Herald.Server.Hosting;

namespace Herald.Server;

/// <summary>
/// The <c>herald</c> executable: options from the command line, then the same node <see cref="HeraldServer"/>
/// starts, run until SIGTERM or Ctrl+C. Scripts rely on its output: one <c>herald: NAME listening on ADDRESS:PORT</c>
/// line per listener on stdout once the node is ready, and a one-line <c>herald: ...</c> error on stderr with the
/// exit code from <see cref="ExitCodes"/> when it cannot start.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var command = HeraldCommandLine.Parse(args, HeraldCommandLine.ReadEnvironment(), Environment.CurrentDirectory);
        if (command.ShowHelp)
        {
            await Console.Out.WriteAsync(HeraldOptionTable.FormatHelp());
            return ExitCodes.Success;
        }

        if (command.Options is not { } options)
        {
            await Console.Error.WriteLineAsync($"herald: {command.Error}");
            return ExitCodes.InvalidOptions;
        }

        try
        {
            await using var node = await HeraldHost.StartAsync(options, HeraldListeners.All, HeraldHostMode.CommandLine, CancellationToken.None);
            foreach (var listener in node.Listeners)
            {
                await Console.Out.WriteLineAsync($"herald: {listener.Protocol} listening on {listener.EndPoint}");
            }

            await node.WaitForShutdownAsync();
            return ExitCodes.Success;
        }
        catch (HeraldStartupException e)
        {
            await Console.Error.WriteLineAsync($"herald: {e.Message}");
            return ExitCodes.For(e.Error);
        }
        catch (Exception e)
        {
            // Not an operator's mistake: print everything, since this is all anyone will have to go on.
            await Console.Error.WriteLineAsync($"herald: unexpected failure: {e}");
            return ExitCodes.UnexpectedFailure;
        }
    }
}
