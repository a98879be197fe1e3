using System.Buffers;
using System.Buffers.Binary;
using Herald.Frontends.Amqp.Channels;
using Herald.Protocols.Amqp;
using Herald.Protocols.Amqp.Frames;
using Microsoft.Extensions.Logging;

namespace Herald.Frontends.Amqp.Connections;

/// <summary>
/// Frames on channels 1..channel-max: the channel state machine (open, closing), channel.flow, content assembly
/// (method frame, content header, body frames up to body-size; spec 4.2.6) and the hand-off of channel-level methods
/// to the channel's <see cref="AmqpChannelMethods"/>.
/// </summary>
internal sealed partial class AmqpConnection
{
    // Channels whose handler holds publishes to store together (AmqpChannel.HoldsPublishes); read loop only.
    private readonly List<AmqpChannel> _channelsHoldingPublishes = [];

    internal void HoldPublishes(AmqpChannel channel)
    {
        if (!_channelsHoldingPublishes.Contains(channel))
        {
            _channelsHoldingPublishes.Add(channel);
        }
    }

    /// <summary>
    /// Frames that keep publishes held: a basic.publish method frame and content frames (a publish's header and
    /// body; a frame out of sequence fails on its own). Anything else first has the held publishes stored, so what
    /// the client sent after them (a get, a close, a commit) never overtakes them.
    /// </summary>
    private static bool IsPartOfPublish(AmqpFrame frame)
    {
        if (frame.Type is AmqpConstants.FrameHeader or AmqpConstants.FrameBody or AmqpConstants.FrameHeartbeat)
        {
            return true;
        }
        if (frame.Type != AmqpConstants.FrameMethod || frame.Channel == 0)
        {
            return false;
        }
        if (frame.Payload.Length < 4)
        {
            return false;
        }
        Span<byte> ids = stackalloc byte[4];
        frame.Payload.Slice(0, 4).CopyTo(ids);
        return BinaryPrimitives.ReadUInt16BigEndian(ids) == BasicPublish.ProtocolClassId &&
               BinaryPrimitives.ReadUInt16BigEndian(ids[2..]) == BasicPublish.ProtocolMethodId;
    }

    /// <summary>
    /// Has every channel that holds publishes store them (<see cref="AmqpChannelMethods.PublishPendingAsync"/>). A
    /// channel error from that closes the channel as a failed basic.publish would.
    /// </summary>
    private async ValueTask PublishHeldAsync()
    {
        // Index loop: closing a channel below does not add to the list, and a handler can only add from the read loop.
        for (var i = 0; i < _channelsHoldingPublishes.Count; i++)
        {
            var channel = _channelsHoldingPublishes[i];
            if (channel.State != AmqpChannelState.Open)
            {
                continue; // its handler's ClosedAsync has dealt with what it held
            }
            try
            {
                await channel.Methods.PublishPendingAsync();
            }
            catch (AmqpChannelException e) when (!AmqpReplyCodes.IsHardError(e.ReplyCode))
            {
                await CloseChannelAsync(channel, e);
            }
        }
        _channelsHoldingPublishes.Clear();
    }

    private async ValueTask<bool> HandleChannelFrameAsync(AmqpFrame frame)
    {
        var number = frame.Channel;
        if (number > _channelMax)
        {
            throw new AmqpConnectionException(AmqpReplyCode.ChannelError, $"channel {number} is above channel-max {_channelMax}");
        }
        if (!_channels.TryGetValue(number, out var channel))
        {
            if (frame.Type == AmqpConstants.FrameMethod)
            {
                var (classId, methodId, _) = ReadMethodHeader(frame.Payload);
                if (classId == ChannelOpen.ProtocolClassId && methodId == ChannelOpen.ProtocolMethodId)
                {
                    _channels.Add(number, new AmqpChannel(this, number));
                    await Output.SendMethodAsync(number, new ChannelOpenOk());
                    return true;
                }
            }
            throw new AmqpConnectionException(AmqpReplyCode.ChannelError, $"expected 'channel.open' on channel {number}");
        }

        if (channel.State == AmqpChannelState.Closing)
        {
            await HandleOnClosingChannelAsync(channel, frame);
            return true;
        }

        try
        {
            switch (frame.Type)
            {
                case AmqpConstants.FrameMethod:
                    if (channel.ContentState != AmqpContentState.None)
                    {
                        throw new AmqpConnectionException(AmqpReplyCode.UnexpectedFrame,
                            $"expected content {(channel.ContentState == AmqpContentState.ExpectingHeader ? "header" : "body")} on channel {number}, got a method frame");
                    }
                    await HandleChannelMethodAsync(channel, frame.Payload);
                    break;
                case AmqpConstants.FrameHeader:
                    if (channel.ContentState != AmqpContentState.ExpectingHeader)
                    {
                        throw new AmqpConnectionException(AmqpReplyCode.UnexpectedFrame, $"unexpected content header on channel {number}");
                    }
                    if (channel.AcceptHeader(AmqpContentHeader.Read(Contiguous(frame.Payload).Span), Frontend.Options.MaxMessageSizeBytes))
                    {
                        await channel.DispatchContentAsync();
                    }
                    break;
                default:
                    if (channel.ContentState != AmqpContentState.ExpectingBody)
                    {
                        throw new AmqpConnectionException(AmqpReplyCode.UnexpectedFrame, $"unexpected content body on channel {number}");
                    }
                    if (channel.AcceptBody(frame.Payload))
                    {
                        await channel.DispatchContentAsync();
                    }
                    break;
            }
        }
        catch (AmqpChannelException e) when (!AmqpReplyCodes.IsHardError(e.ReplyCode))
        {
            await CloseChannelAsync(channel, e);
        }
        return true;
    }

    private async ValueTask HandleChannelMethodAsync(AmqpChannel channel, ReadOnlySequence<byte> payload)
    {
        var (classId, methodId, arguments) = ReadMethodHeader(payload);
        switch (classId)
        {
            case AmqpClassIds.Channel:
                await HandleChannelClassAsync(channel, methodId, arguments);
                return;
            case AmqpClassIds.Connection:
                throw new AmqpConnectionException(AmqpReplyCode.CommandInvalid,
                    $"{AmqpMethodInfo.Name(classId, methodId)} on channel {channel.Number}; connection methods belong on channel 0", classId, methodId);
            case AmqpClassIds.Access when methodId == AccessRequest.ProtocolMethodId:
                // Removed in 0-9-1 but still sent by old clients; RabbitMQ answers with a dummy ticket.
                await channel.SendMethodAsync(new AccessRequestOk { Ticket = 1 });
                return;
        }
        if (!AmqpMethodInfo.IsSentByClient(classId, methodId))
        {
            throw new AmqpConnectionException(AmqpReplyCode.CommandInvalid,
                $"{AmqpMethodInfo.Name(classId, methodId)} is sent by servers, not clients", classId, methodId);
        }
        if (AmqpMethodInfo.HasContent(classId, methodId))
        {
            if (classId == BasicPublish.ProtocolClassId && methodId == BasicPublish.ProtocolMethodId)
            {
                // A resource alarm stops the read loop here, before the message is taken in.
                await WaitWhileAlarmedAsync();
            }
            // Decode nothing yet: the arguments are kept until the content is complete, then dispatched with it.
            channel.BeginContent(classId, methodId, arguments.Span);
            return;
        }
        await channel.DispatchAsync(classId, methodId, arguments, content: null);
    }

    private async ValueTask HandleChannelClassAsync(AmqpChannel channel, ushort methodId, ReadOnlyMemory<byte> arguments)
    {
        var reader = new AmqpReader(arguments.Span);
        switch (methodId)
        {
            case 10: // open
                throw new AmqpConnectionException(AmqpReplyCode.ChannelError, $"second 'channel.open' seen on channel {channel.Number}",
                    ChannelOpen.ProtocolClassId, ChannelOpen.ProtocolMethodId);
            case 20: // flow: the client asks the server to stop or restart deliveries on this channel
                var flow = ChannelFlow.Read(ref reader);
                channel.IsFlowActive = flow.Active;
                await channel.SendMethodAsync(new ChannelFlowOk { Active = flow.Active });
                return;
            case 40: // close
                var close = ChannelClose.Read(ref reader);
                if (close.ReplyCode != (ushort)AmqpReplyCode.ReplySuccess)
                {
                    Logger.LogDebug("AMQP connection {Id} channel {Channel}: client closed with {Code} {Text}", Id, channel.Number, close.ReplyCode, close.ReplyText);
                }
                channel.State = AmqpChannelState.Closing;
                _channels.Remove(channel.Number);
                await channel.Methods.ClosedAsync();
                await channel.SendMethodAsync(new ChannelCloseOk());
                return;
            default: // flow-ok (the server never sends flow) and close-ok of an open channel: nothing to do
                return;
        }
    }

    /// <summary>Spec 2.3.5: once the server has sent channel.close, everything but close and close-ok is discarded.</summary>
    private async ValueTask HandleOnClosingChannelAsync(AmqpChannel channel, AmqpFrame frame)
    {
        if (frame.Type != AmqpConstants.FrameMethod)
        {
            return;
        }
        var (classId, methodId, _) = ReadMethodHeader(frame.Payload);
        if (classId != AmqpClassIds.Channel)
        {
            return;
        }
        if (methodId == ChannelCloseOk.ProtocolMethodId)
        {
            _channels.Remove(channel.Number);
        }
        else if (methodId == ChannelClose.ProtocolMethodId)
        {
            // Both sides closed at once: answer, and the channel is gone.
            _channels.Remove(channel.Number);
            await channel.SendMethodAsync(new ChannelCloseOk());
        }
    }

    /// <summary>A channel exception: channel.close with the reply code, then the closing state until close-ok.</summary>
    private async ValueTask CloseChannelAsync(AmqpChannel channel, AmqpException e)
    {
        Logger.LogInformation("AMQP connection {Id} channel {Channel}: closing with {Code} {Text}", Id, channel.Number, (ushort)e.ReplyCode, e.ReplyText);
        channel.ResetContent();
        channel.State = AmqpChannelState.Closing;
        await channel.Methods.ClosedAsync();
        await channel.SendMethodAsync(new ChannelClose
        {
            ReplyCode = (ushort)e.ReplyCode,
            ReplyText = e.ReplyText,
            ClassId = e.ClassId,
            MethodId = e.MethodId,
        });
    }
}
