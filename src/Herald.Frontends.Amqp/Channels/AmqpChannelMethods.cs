using Herald.Protocols.Amqp;

namespace Herald.Frontends.Amqp.Channels;

/// <summary>
/// The seam between the AMQP connection layer and the broker: one instance per open channel, created by the
/// factory given to <see cref="AmqpFrontend"/> when the channel opens. The connection layer calls one virtual method
/// per channel-level method a client sends (classes exchange 40, queue 50, basic 60, confirm 85, tx 90; generated
/// in <c>Generated/AmqpChannelMethods.g.cs</c>), with the decoded arguments and, for basic.publish, the assembled
/// content. Calls on one connection are sequential: the next frame is read once the returned task completes, so a
/// method that waits (for fsync, say) should hand its wait off rather than hold the connection.
/// <para>
/// A method answers by sending through <see cref="Channel"/> and fails by throwing <see cref="AmqpChannelException"/>
/// (soft reply codes close the channel, hard ones the connection; RabbitMQ does the same). Every method that is not
/// overridden answers 540 NOT_IMPLEMENTED, which the spec classes as a hard error, so it closes the connection.
/// </para>
/// </summary>
public abstract partial class AmqpChannelMethods
{
    protected AmqpChannelMethods(AmqpChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        Channel = channel;
    }

    public AmqpChannel Channel { get; }

    /// <summary>
    /// Called once when the channel stops being open, whoever closed it (client, server or the connection ending):
    /// the place to cancel consumers and return unacknowledged deliveries to their queues.
    /// </summary>
    public virtual ValueTask ClosedAsync() => ValueTask.CompletedTask;

    /// <summary>
    /// For a handler that holds basic.publish calls to store them together (after calling
    /// <see cref="AmqpChannel.HoldsPublishes"/>): called once the connection has handled every complete frame of the
    /// read that brought them, and before any frame other than a publish's (method, header, body) on any channel of
    /// the connection, so nothing else the client sent overtakes them. Exceptions close the channel as
    /// from <c>BasicPublishAsync</c>.
    /// </summary>
    public virtual ValueTask PublishPendingAsync() => ValueTask.CompletedTask;

    protected static ValueTask NotImplementedAsync<TMethod>() where TMethod : struct, IAmqpMethod =>
        ValueTask.FromException(new AmqpChannelException(
            AmqpReplyCode.NotImplemented, $"{TMethod.Name} is not implemented", TMethod.ProtocolClassId, TMethod.ProtocolMethodId));
}

/// <summary>The handler channels get until a broker-backed one is plugged in: every method answers 540 NOT_IMPLEMENTED.</summary>
internal sealed class SpecDefaultChannelMethods(AmqpChannel channel) : AmqpChannelMethods(channel);
