namespace Herald.Broker.PubSub;

/// <summary>
/// A receiver of channel messages: a front end's connection. <see cref="Deliver"/> runs on the publisher's thread,
/// so it must not block and must not throw: it copies the message into the subscriber's own bounded output and
/// returns, and when that output is over its limit it disconnects the subscriber instead of waiting (at-most-once,
/// DESIGN.md section 2). The delivery's spans are valid only during the call.
/// </summary>
public interface IChannelSubscriber
{
    void Deliver(in ChannelDelivery delivery);
}
