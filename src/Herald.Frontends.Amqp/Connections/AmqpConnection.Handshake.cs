using System.Text;
using Herald.Frontends.Amqp.Authentication;
using Herald.Protocols.Amqp;
using Herald.Protocols.Amqp.Frames;
using Microsoft.Extensions.Logging;

namespace Herald.Frontends.Amqp.Connections;

/// <summary>The opening handshake: start/start-ok (authentication), tune/tune-ok, open/open-ok.</summary>
internal sealed partial class AmqpConnection
{
    /// <summary>
    /// The smallest frame-max a client may ask for: 4096, the AMQP 0-9-1 spec's frame-min-size and RabbitMQ's check
    /// (the JSON spec's FRAME-MIN-SIZE constant differs; clients such as amqplib ask for exactly 4096).
    /// </summary>
    private const uint FrameMinSize = 4096;

    private ValueTask SendStartAsync()
    {
        var options = Frontend.Options;
        // The capabilities RabbitMQ 3.x advertises; clients switch features on by them.
        var capabilities = new AmqpTable()
            .Add("publisher_confirms", true)
            .Add("exchange_exchange_bindings", true)
            .Add("basic.nack", true)
            .Add("consumer_cancel_notify", true)
            .Add("connection.blocked", true)
            .Add("consumer_priorities", true)
            .Add("authentication_failure_close", true)
            .Add("per_consumer_qos", true)
            .Add("direct_reply_to", true);
        var properties = new AmqpTable()
            .Add("capabilities", capabilities)
            .Add("cluster_name", "herald@" + Environment.MachineName)
            .Add("copyright", "Herald contributors")
            .Add("information", "Herald message broker: AMQP 0-9-1, Kafka and RESP on one storage engine")
            .Add("platform", ".NET " + Environment.Version)
            .Add("product", "Herald")
            .Add("version", options.ProductVersion);
        return Output.SendMethodAsync(0, new ConnectionStart
        {
            VersionMajor = AmqpConstants.VersionMajor,
            VersionMinor = AmqpConstants.VersionMinor,
            ServerProperties = properties,
            Mechanisms = Encoding.UTF8.GetBytes(AmqpAuthenticator.Mechanisms),
            Locales = "en_US"u8.ToArray(),
        });
    }

    private async ValueTask<bool> HandleHandshakeFrameAsync(AmqpFrame frame)
    {
        if (frame.Type != AmqpConstants.FrameMethod || frame.Channel != 0)
        {
            throw new AmqpConnectionException(AmqpReplyCode.UnexpectedFrame,
                $"frame of type {frame.Type} on channel {frame.Channel} during the connection handshake");
        }
        var (classId, methodId, arguments) = ReadMethodHeader(frame.Payload);
        var reader = new AmqpReader(arguments.Span);
        switch (_phase)
        {
            case ConnectionPhase.AwaitingStartOk when Is<ConnectionStartOk>(classId, methodId):
                return await StartOkAsync(ConnectionStartOk.Read(ref reader));
            case ConnectionPhase.AwaitingTuneOk when Is<ConnectionTuneOk>(classId, methodId):
                TuneOk(ConnectionTuneOk.Read(ref reader));
                return true;
            case ConnectionPhase.AwaitingOpen when Is<ConnectionOpen>(classId, methodId):
                await OpenAsync(ConnectionOpen.Read(ref reader));
                return true;
            case ConnectionPhase.AwaitingOpen or ConnectionPhase.AwaitingTuneOk when Is<ConnectionClose>(classId, methodId):
                await Output.SendMethodAsync(0, new ConnectionCloseOk());
                return false;
            default:
                var expected = _phase switch
                {
                    ConnectionPhase.AwaitingStartOk => ConnectionStartOk.Name,
                    ConnectionPhase.AwaitingTuneOk => ConnectionTuneOk.Name,
                    _ => ConnectionOpen.Name,
                };
                throw new AmqpConnectionException(AmqpReplyCode.CommandInvalid,
                    $"expected '{expected}', got '{AmqpMethodInfo.Name(classId, methodId)}'", classId, methodId);
        }
    }

    private static bool Is<TMethod>(ushort classId, ushort methodId) where TMethod : struct, IAmqpMethod =>
        classId == TMethod.ProtocolClassId && methodId == TMethod.ProtocolMethodId;

    private async ValueTask<bool> StartOkAsync(ConnectionStartOk startOk)
    {
        if (!AmqpAuthenticator.IsSupported(startOk.Mechanism))
        {
            throw new AmqpConnectionException(AmqpReplyCode.CommandInvalid,
                $"unknown authentication mechanism '{startOk.Mechanism}'", ConnectionStartOk.ProtocolClassId, ConnectionStartOk.ProtocolMethodId);
        }
        var (user, password) = AmqpAuthenticator.Parse(startOk.Mechanism, startOk.Response);
        var refusal = AmqpAuthenticator.Check(Frontend.Options, user, password, _transport.RemoteEndPoint);
        if (refusal is null)
        {
            UserName = user!;
            _clientWantsBlockedNotifications = startOk.ClientProperties["capabilities"] is AmqpTable offered
                && offered["connection.blocked"] is true;
            _phase = ConnectionPhase.AwaitingTuneOk;
            await Output.SendMethodAsync(0, new ConnectionTune
            {
                ChannelMax = Frontend.Options.ChannelMax,
                FrameMax = Frontend.Options.FrameMax,
                Heartbeat = (ushort)Math.Min(Frontend.Options.Heartbeat.TotalSeconds, ushort.MaxValue),
            });
            return true;
        }

        // RabbitMQ: a client that announces authentication_failure_close gets connection.close 403; older clients
        // only see the socket close, which is all the spec allows before tune.
        var failureClose = startOk.ClientProperties["capabilities"] is AmqpTable capabilities
            && capabilities["authentication_failure_close"] is true;
        var text = $"Login was refused using authentication mechanism {startOk.Mechanism}. For details see the broker logfile.";
        if (failureClose)
        {
            await BeginCloseAsync(AmqpReplyCode.AccessRefused, $"ACCESS_REFUSED - {text}",
                ConnectionStartOk.ProtocolClassId, ConnectionStartOk.ProtocolMethodId, refusal);
            return true;
        }
        Logger.LogWarning("AMQP connection {Id} from {Remote}: {Refusal}; closing the socket", Id, Remote, refusal);
        return false;
    }

    private void TuneOk(ConnectionTuneOk tuneOk)
    {
        var options = Frontend.Options;
        if (tuneOk.ChannelMax > options.ChannelMax)
        {
            throw new AmqpConnectionException(AmqpReplyCode.NotAllowed,
                $"negotiated channel_max = {tuneOk.ChannelMax} is higher than the maximum allowed value ({options.ChannelMax})");
        }
        if (tuneOk.FrameMax != 0 && tuneOk.FrameMax < FrameMinSize)
        {
            throw new AmqpConnectionException(AmqpReplyCode.NotAllowed,
                $"frame_max={tuneOk.FrameMax} < {FrameMinSize} min size");
        }
        if (options.FrameMax != 0 && (tuneOk.FrameMax == 0 || tuneOk.FrameMax > options.FrameMax))
        {
            throw new AmqpConnectionException(AmqpReplyCode.NotAllowed,
                $"negotiated frame_max = {tuneOk.FrameMax} is higher than the maximum allowed value ({options.FrameMax})");
        }
        // Zero channel-max from the client means "no limit of its own": the server's applies.
        _channelMax = tuneOk.ChannelMax == 0 ? options.ChannelMax : tuneOk.ChannelMax;
        _frameMaxIn = tuneOk.FrameMax;
        Output.FrameMax = tuneOk.FrameMax;
        if (tuneOk.Heartbeat > 0)
        {
            StartHeartbeats(TimeSpan.FromSeconds(tuneOk.Heartbeat));
        }
        _phase = ConnectionPhase.AwaitingOpen;
    }

    private async ValueTask OpenAsync(ConnectionOpen open)
    {
        if (!Frontend.Options.VirtualHosts.Contains(open.VirtualHost))
        {
            throw new AmqpConnectionException(AmqpReplyCode.NotAllowed, $"vhost {open.VirtualHost} not found",
                ConnectionOpen.ProtocolClassId, ConnectionOpen.ProtocolMethodId);
        }
        VirtualHost = open.VirtualHost;
        _phase = ConnectionPhase.Open;
        // The handshake deadline no longer applies; from here heartbeats (if any) watch the client.
        var previous = Interlocked.Exchange(ref _readDeadline, new CancellationTokenSource());
        previous.Dispose();
        await Output.SendMethodAsync(0, new ConnectionOpenOk());
        WatchAlarms();
    }
}
