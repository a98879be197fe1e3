using System.Text;

namespace Herald.Frontends.Resp.Tests;

/// <summary>
/// redis-cli (Debian redis-tools) against Herald: each connection command with its exact output (redis-cli prints
/// replies raw when its output is not a terminal), RESP3 through <c>-3</c>, and 10,000 commands in one
/// <c>--pipe</c> round trip.
/// </summary>
[Collection(HeraldCollection.Name)]
public sealed class RedisCliTests(HeraldNode herald)
{
    [Theory]
    [InlineData("PONG", "PING")]
    [InlineData("hello world", "ECHO", "hello world")]
    [InlineData("OK", "SELECT", "0")]
    [InlineData("ERR DB index is out of range", "SELECT", "1")]
    [InlineData("ERR value is not an integer or out of range", "SELECT", "x")]
    [InlineData("0", "DBSIZE")]
    [InlineData("OK", "CLIENT", "SETNAME", "cli")]
    [InlineData("", "CLIENT", "GETNAME")]
    [InlineData("ERR Client names cannot contain spaces, newlines or special characters.", "CLIENT", "SETNAME", "a b")]
    [InlineData("OK", "CLIENT", "SETINFO", "LIB-NAME", "cli-lib")]
    [InlineData("ERR Unrecognized option 'LIB-FOO'", "CLIENT", "SETINFO", "LIB-FOO", "x")]
    [InlineData("ERR No such client", "CLIENT", "KILL", "1.2.3.4:5")]
    [InlineData("0", "CLIENT", "KILL", "ID", "987654321")]
    [InlineData("ERR unknown subcommand 'NOPE'. Try CLIENT HELP.", "CLIENT", "NOPE")]
    [InlineData("ERR wrong number of arguments for 'client|id' command", "CLIENT", "ID", "x")]
    [InlineData("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?", "AUTH", "x")]
    [InlineData("OK", "AUTH", "default", "x")]
    [InlineData("WRONGPASS invalid username-password pair or user is disabled.", "AUTH", "bob", "x")]
    [InlineData("NOPROTO unsupported protocol version", "HELLO", "4")]
    [InlineData("ERR unknown command 'FOO', with args beginning with: 'a' 'b' ", "FOO", "a", "b")]
    [InlineData("ERR wrong number of arguments for 'echo' command", "ECHO")]
    [InlineData("0", "PUBLISH", "cli-nobody", "x")]
    [InlineData("0", "SPUBLISH", "cli-nobody", "x")]
    [InlineData("cli-nobody\n0", "PUBSUB", "NUMSUB", "cli-nobody")]
    [InlineData("43", "COMMAND", "COUNT")]
    [InlineData("OK", "QUIT")]
    [InlineData("RESET", "RESET")]
    public async Task Prints_Redis_replies(string expected, params string[] command)
    {
        var result = await ClientProcess.RedisCliAsync(herald.Port, command);

        // redis-cli follows an error with an empty line; the reply itself is what is compared.
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(expected, result.Output.TrimEnd('\n'));
    }

    [Fact]
    public async Task Client_id_list_and_info_describe_the_connection()
    {
        var id = long.Parse((await ClientProcess.RedisCliAsync(herald.Port, "CLIENT", "ID")).Output, System.Globalization.CultureInfo.InvariantCulture);
        var info = (await ClientProcess.RedisCliAsync(herald.Port, "CLIENT", "INFO")).Output;
        var list = (await ClientProcess.RedisCliAsync(herald.Port, "CLIENT", "LIST")).Output;

        Assert.True(id > 0);
        Assert.Matches(@"^id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=\d+ name= age=\d+ idle=\d+ flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 .* cmd=client\|info user=default redir=-1 resp=2 lib-name= lib-ver=\n$", info);
        Assert.Contains("cmd=client|list", list);
    }

    [Fact]
    public async Task Info_reports_each_section_with_live_figures()
    {
        var all = (await ClientProcess.RedisCliAsync(herald.Port, "INFO")).Output;
        var clients = (await ClientProcess.RedisCliAsync(herald.Port, "INFO", "clients")).Output;

        foreach (var section in new[] { "# Server", "# Clients", "# Memory", "# Stats", "# Replication", "# CPU", "# Keyspace" })
        {
            Assert.Contains(section + "\r\n", all);
        }
        Assert.Matches(@"redis_version:7\.2\.0\r\n", all);
        Assert.Matches(@"tcp_port:" + herald.Port + "\r\n", all);
        Assert.Matches(@"used_memory:[1-9]\d*\r\n", all);
        Assert.Matches(@"total_commands_processed:[1-9]\d*\r\n", all);
        Assert.StartsWith("# Clients\r\nconnected_clients:", clients);
        Assert.DoesNotContain("# Server", clients);
        Assert.Equal("", (await ClientProcess.RedisCliAsync(herald.Port, "INFO", "nosuchsection")).Output.Trim());
    }

    [Fact]
    public async Task Command_docs_and_info_come_from_the_catalog()
    {
        var docs = (await ClientProcess.RedisCliAsync(herald.Port, "COMMAND", "DOCS", "ping")).Output;
        var info = (await ClientProcess.RedisCliAsync(herald.Port, "COMMAND", "INFO", "client|kill", "get")).Output;

        Assert.StartsWith("ping\nsummary\nReturns the server's liveliness response.\nsince\n1.0.0\ngroup\nconnection\n", docs);
        Assert.StartsWith("client|kill\n-3\nadmin\nnoscript\nloading\nstale\n0\n0\n0\n@admin\n@slow\n@dangerous\n@connection\n", info);
        Assert.EndsWith("\n\n", info);
    }

    [Fact]
    public async Task Hello_3_switches_redis_cli_to_RESP3_maps_and_sets()
    {
        var hello = (await ClientProcess.RedisCliAsync(herald.Port, "-3", "--no-raw", "HELLO", "3")).Output;
        var command = (await ClientProcess.RedisCliAsync(herald.Port, "-3", "--no-raw", "COMMAND", "INFO", "ping")).Output;
        var client = (await ClientProcess.RedisCliAsync(herald.Port, "-3", "CLIENT", "INFO")).Output;

        Assert.StartsWith("1# \"server\" => \"redis\"\n2# \"version\" => \"7.2.0\"\n3# \"proto\" => (integer) 3\n", hello);
        Assert.Contains("7# \"modules\" => (empty array)", hello);
        Assert.Contains("3) 1~ fast", command);
        Assert.Contains(" resp=3 ", client);
    }

    [Fact]
    public async Task Pipe_mode_sends_ten_thousand_commands_in_one_round_trip()
    {
        var input = new StringBuilder();
        for (var i = 0; i < 10_000; i++)
        {
            var text = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            input.Append(i % 2 == 0 ? $"*1\r\n$4\r\nPING\r\n" : $"*2\r\n$4\r\nECHO\r\n${text.Length}\r\n{text}\r\n");
        }

        var result = await ClientProcess.RunAsync(
            "redis-cli", ["-h", "127.0.0.1", "-p", herald.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--pipe"],
            Encoding.ASCII.GetBytes(input.ToString()));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("errors: 0, replies: 10000", result.Output);
    }
}
