using Herald.Protocols.Amqp;
using Microsoft.Extensions.Logging;

namespace Herald.Frontends.Amqp.Connections;

/// <summary>
/// Heartbeats, both directions (spec 4.2.7, RabbitMQ's rabbit_heartbeat): once per half interval the server sends a
/// heartbeat frame if it has sent nothing else in that time, and closes the socket when the client has sent nothing
/// at all for two intervals ("missed heartbeats from client"), except while a resource alarm keeps the connection
/// from reading.
/// </summary>
internal sealed partial class AmqpConnection
{
    private volatile bool _heartbeatTimedOut;

    private void StartHeartbeats(TimeSpan interval) => _heartbeatLoop = HeartbeatLoopAsync(interval, _lifetime.Token);

    private async Task HeartbeatLoopAsync(TimeSpan interval, CancellationToken cancellation)
    {
        var clock = Frontend.Clock;
        var half = interval / 2;
        try
        {
            using var timer = new PeriodicTimer(half, clock);
            while (await timer.WaitForNextTickAsync(cancellation))
            {
                if (!_readingPaused && clock.GetElapsedTime(Interlocked.Read(ref _lastReceiveTimestamp)) >= interval * 2)
                {
                    Logger.LogWarning("AMQP connection {Id} from {Remote}: missed heartbeats from client, timeout: {Seconds}s; closing",
                        Id, Remote, interval.TotalSeconds);
                    // Wake the read loop, which ends the connection and closes the socket (a FIN, as RabbitMQ does).
                    _heartbeatTimedOut = true;
                    Output.Close();
                    _transport.Transport.Input.CancelPendingRead();
                    return;
                }
                if (clock.GetElapsedTime(Output.LastSendTimestamp) >= half)
                {
                    await Output.SendHeartbeatAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The connection ended.
        }
    }
}
