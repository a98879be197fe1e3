using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// InitProducerId (key 22), v0-4: the idempotent producer's first request. The range starts at 0 because
/// librdkafka before 2.11 enables idempotence only when InitProducerId 0 is advertised, and reaches 4 because
/// librdkafka 2.0.2 sends v3-4 for its KIP-360 epoch bump (kafka-compatibility.md 1.2, table (d)). v5 (KIP-890,
/// TRANSACTION_ABORTABLE) is not advertised.
///
/// Without a transactional id Kafka always answers a new producer id with epoch 0, whatever producer id and epoch
/// a v3+ request carries (its <c>TransactionCoordinator.handleInitProducerId</c>): librdkafka's "epoch bump" of an
/// idempotent producer therefore simply starts a new producer, whose sequences start again at 0. Ids come from
/// <see cref="Broker.Producers.ProducerIdAllocator"/> and never repeat, not even after a restart.
///
/// Transactions are not implemented yet: a transactional id gets INVALID_TXN_STATE (the response has no message
/// field), the code Produce already answers transactional batches with, and the client fails cleanly.
/// </summary>
internal sealed class InitProducerIdHandler() : KafkaApiHandler<InitProducerIdRequest>(ApiKey.InitProducerId, new VersionRange(0, 4))
{
    protected override async ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, InitProducerIdRequest request)
    {
        if (request.TransactionalId is not null)
        {
            return KafkaReply.Ready(new InitProducerIdResponse { ErrorCode = (short)ErrorCode.InvalidTxnState, ProducerId = -1, ProducerEpoch = -1 });
        }
        if ((request.ProducerId < 0) != (request.ProducerEpoch < 0))
        {
            // v3+: both or neither (Kafka's InitProducerIdRequest validation).
            return KafkaReply.Ready(new InitProducerIdResponse { ErrorCode = (short)ErrorCode.InvalidRequest, ProducerId = -1, ProducerEpoch = -1 });
        }
        var producerId = await context.Broker.ProducerIds.AllocateAsync(context.Closing);
        return KafkaReply.Ready(new InitProducerIdResponse { ProducerId = producerId, ProducerEpoch = 0 });
    }
}
