using System.Runtime.InteropServices;
using Herald.Broker.Messages;
using Herald.Broker.VirtualHosts;
using Herald.Frontends.Amqp.Channels;
using Herald.Protocols.Amqp;

namespace Herald.Frontends.Amqp.Messaging;

/// <summary>
/// basic.publish, mandatory returns, publisher confirms (confirm 85) and transactions (tx 90). Publishes are held until
/// the connection has handled every frame of the read that brought them (<see cref="PublishPendingAsync"/>), then
/// published together, so a pipelined burst costs each queue one append and its confirms one group commit.
/// </summary>
internal sealed partial class BrokerChannelMethods
{
    /// <summary>Held publishes are published at once beyond this many body bytes, so a huge read holds little.</summary>
    private const int MaxPendingBodyBytes = 256 * 1024;

    private ConfirmTracker? _confirms;
    private readonly List<Message> _pending = [];
    private readonly List<bool> _pendingMandatory = [];
    private PublishResult[] _pendingResults = new PublishResult[16];
    private long _pendingBodyBytes;
    private List<(Message Message, bool Mandatory)>? _transactionPublishes;
    private List<Action>? _transactionSettlements;

    /// <summary>
    /// basic.publish with its assembled content, held until <see cref="PublishPendingAsync"/>. The property bytes are
    /// kept as sent (copied with the body: the connection reuses its buffers); only the reply-to of a direct reply-to request is rewritten to this channel's reply queue.
    /// </summary>
    public override ValueTask BasicPublishAsync(BasicPublish method, AmqpContent content)
    {
        try
        {
            var decoded = content.Properties;
            ReadOnlyMemory<byte> properties;
            ReadOnlyMemory<byte> body;
            if (decoded.ReplyTo == DirectReplyTo)
            {
                if (_replyQueue is null)
                {
                    throw new MessagingException(MessagingError.PreconditionFailed, "fast reply consumer does not exist");
                }
                decoded = decoded with { ReplyTo = _replyQueue.Name };
                properties = ContentProperties.Encode(decoded);
                body = content.Body.ToArray();
            }
            else
            {
                // One copy holds both: they live exactly as long as the message.
                var copy = new byte[content.PropertyBytes.Length + content.Body.Length];
                content.PropertyBytes.Span.CopyTo(copy);
                content.Body.Span.CopyTo(copy.AsSpan(content.PropertyBytes.Length));
                properties = copy.AsMemory(0, content.PropertyBytes.Length);
                body = copy.AsMemory(content.PropertyBytes.Length);
            }
            var message = NewMessage(method.Exchange, method.RoutingKey, body, ContentProperties.ToNeutral(properties, decoded));
            if (_transactionPublishes is not null)
            {
                _transactionPublishes.Add((message, method.Mandatory));
                return ValueTask.CompletedTask;
            }
            if (_pending.Count == 0)
            {
                Channel.HoldsPublishes();
            }
            _pending.Add(message);
            _pendingMandatory.Add(method.Mandatory);
            _pendingBodyBytes += message.BodySize;
            if (_pendingBodyBytes > MaxPendingBodyBytes)
            {
                PublishPending();
            }
            return ValueTask.CompletedTask;
        }
        catch (MessagingException e)
        {
            throw Failure<BasicPublish>(e);
        }
    }

    public override ValueTask PublishPendingAsync()
    {
        try
        {
            PublishPending();
            return ValueTask.CompletedTask;
        }
        catch (MessagingException e)
        {
            throw Failure<BasicPublish>(e);
        }
    }

    /// <summary>Publishes the held publishes together; their confirms and returns go out in publish order.</summary>
    private void PublishPending()
    {
        if (_pending.Count == 0)
        {
            return;
        }
        if (_pendingResults.Length < _pending.Count)
        {
            _pendingResults = new PublishResult[Math.Max(_pending.Count, _pendingResults.Length * 2)];
        }
        try
        {
            var results = _pendingResults.AsSpan(0, _pending.Count);
            var count = _host.Publish(CollectionsMarshal.AsSpan(_pending), results);
            for (var i = 0; i < count; i++)
            {
                Settle(_pending[i], _pendingMandatory[i], results[i]);
            }
        }
        finally
        {
            _pending.Clear();
            _pendingMandatory.Clear();
            _pendingBodyBytes = 0;
            Array.Clear(_pendingResults);
        }
    }

    /// <summary>Routes and stores one message (a transaction's, at commit); returns the task the commit waits for.</summary>
    private Task Publish(Message message, bool mandatory)
    {
        var result = _host.Publish(message);
        Settle(message, mandatory, result);
        return result.Durable;
    }

    /// <summary>What a publish's outcome tells the client: a channel error, a basic.return, and its confirm.</summary>
    private void Settle(Message message, bool mandatory, in PublishResult result)
    {
        switch (result.Status)
        {
            case PublishStatus.ExchangeNotFound:
                throw new MessagingException(MessagingError.NotFound, $"no exchange '{message.Exchange}' in vhost '{_host.Name}'");
            case PublishStatus.ExchangeInternal:
                throw new MessagingException(MessagingError.AccessRefused,
                    $"cannot publish to internal exchange '{message.Exchange}' in vhost '{_host.Name}'");
            case PublishStatus.Unroutable when mandatory:
                // Sent before the confirm, as RabbitMQ guarantees.
                SendContent(new BasicReturn
                {
                    ReplyCode = (ushort)AmqpReplyCode.NoRoute,
                    ReplyText = "NO_ROUTE",
                    Exchange = message.Exchange,
                    RoutingKey = message.RoutingKey,
                }, message.Properties.Encoded, message.Body);
                break;
        }
        _confirms?.Track(result.Durable, result.Rejected);
    }

    public override async ValueTask ConfirmSelectAsync(ConfirmSelect method)
    {
        if (_transactionPublishes is not null)
        {
            throw new AmqpChannelException(AmqpReplyCode.PreconditionFailed, "cannot switch from tx to confirm mode",
                ConfirmSelect.ProtocolClassId, ConfirmSelect.ProtocolMethodId);
        }
        _confirms ??= new ConfirmTracker(SendConfirm);
        if (!method.Nowait)
        {
            await Channel.SendMethodAsync(new ConfirmSelectOk());
        }
    }

    private void SendConfirm(ulong sequence, bool ack, bool multiple)
    {
        if (ack)
        {
            Send(new BasicAck { DeliveryTag = sequence, Multiple = multiple });
        }
        else
        {
            Send(new BasicNack { DeliveryTag = sequence, Multiple = multiple, Requeue = false });
        }
    }

    public override async ValueTask TxSelectAsync(TxSelect method)
    {
        if (_confirms is not null)
        {
            throw new AmqpChannelException(AmqpReplyCode.PreconditionFailed, "cannot switch from confirm to tx mode",
                TxSelect.ProtocolClassId, TxSelect.ProtocolMethodId);
        }
        _transactionPublishes ??= [];
        _transactionSettlements ??= [];
        await Channel.SendMethodAsync(new TxSelectOk());
    }

    /// <summary>
    /// tx.commit: the buffered publishes are routed and stored, the buffered acknowledgements applied, and commit-ok
    /// goes out once the persistent messages are durable.
    /// </summary>
    public override async ValueTask TxCommitAsync(TxCommit method)
    {
        var (publishes, settlements) = TakeTransaction<TxCommit>();
        var durable = new List<Task>(publishes.Count);
        try
        {
            foreach (var (message, mandatory) in publishes)
            {
                durable.Add(Publish(message, mandatory));
            }
            foreach (var settle in settlements)
            {
                settle();
            }
        }
        catch (MessagingException e)
        {
            throw Failure<TxCommit>(e);
        }
        await Task.WhenAll(durable);
        await Channel.SendMethodAsync(new TxCommitOk());
    }

    public override async ValueTask TxRollbackAsync(TxRollback method)
    {
        TakeTransaction<TxRollback>();
        await Channel.SendMethodAsync(new TxRollbackOk());
    }

    private (List<(Message Message, bool Mandatory)> Publishes, List<Action> Settlements) TakeTransaction<TMethod>()
        where TMethod : struct, IAmqpMethod
    {
        if (_transactionPublishes is null || _transactionSettlements is null)
        {
            throw new AmqpChannelException(AmqpReplyCode.PreconditionFailed, "channel is not transactional",
                TMethod.ProtocolClassId, TMethod.ProtocolMethodId);
        }
        var taken = (_transactionPublishes.ToList(), _transactionSettlements.ToList());
        _transactionPublishes.Clear();
        _transactionSettlements.Clear();
        return taken;
    }
}
