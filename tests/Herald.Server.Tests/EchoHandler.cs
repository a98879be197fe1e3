using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Herald.Server.Tests;

/// <summary>
/// Echoes what it reads, notes the largest input segment, answers "BYE" at the end of the input, and reports how
/// the input ended (null for FIN, or the exception).
/// </summary>
internal sealed class EchoHandler
{
    public int LargestSegment { get; private set; }

    /// <summary>A client of the node's RESP port, where the transport tests put their listener.</summary>
    public static async Task<TcpClient> ConnectAsync(HeraldInstance herald)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Assert.IsType<int>(herald.RespPort));
        return client;
    }

    public TaskCompletionSource FirstRead { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<Exception?> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task OnConnectedAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        try
        {
            while (true)
            {
                var read = await input.ReadAsync();
                FirstRead.TrySetResult();
                foreach (var segment in read.Buffer)
                {
                    LargestSegment = Math.Max(LargestSegment, segment.Length);
                    await output.WriteAsync(segment);
                }
                input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    await output.WriteAsync("BYE"u8.ToArray());
                    Ended.TrySetResult(null);
                    return;
                }
            }
        }
        catch (Exception e)
        {
            Ended.TrySetResult(e);
        }
    }
}
