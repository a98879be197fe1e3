using Herald.Broker.Topics;
using Herald.Protocols.Kafka;

namespace Herald.Frontends.Kafka;

/// <summary>Broker refusals as the Kafka error codes Apache Kafka sends for the same cases.</summary>
internal static class KafkaErrors
{
    public static short From(TopicError error) => (short)(error switch
    {
        TopicError.None => ErrorCode.None,
        TopicError.UnknownTopicOrPartition => ErrorCode.UnknownTopicOrPartition,
        TopicError.InvalidTopicName => ErrorCode.InvalidTopicException,
        TopicError.TopicAlreadyExists => ErrorCode.TopicAlreadyExists,
        TopicError.InvalidPartitions => ErrorCode.InvalidPartitions,
        TopicError.InvalidReplicationFactor => ErrorCode.InvalidReplicationFactor,
        TopicError.InvalidReplicaAssignment => ErrorCode.InvalidReplicaAssignment,
        TopicError.InvalidConfig => ErrorCode.InvalidConfig,
        TopicError.OffsetOutOfRange => ErrorCode.OffsetOutOfRange,
        TopicError.CorruptMessage => ErrorCode.CorruptMessage,
        TopicError.InvalidRecord => ErrorCode.InvalidRecord,
        TopicError.MessageTooLarge => ErrorCode.MessageTooLarge,
        TopicError.RecordListTooLarge => ErrorCode.RecordListTooLarge,
        TopicError.InvalidTimestamp => ErrorCode.InvalidTimestamp,
        TopicError.TransactionsUnsupported => ErrorCode.InvalidTxnState,
        TopicError.StorageUnavailable => ErrorCode.KafkaStorageError,
        TopicError.InvalidProducerEpoch => ErrorCode.InvalidProducerEpoch,
        TopicError.OutOfOrderSequenceNumber => ErrorCode.OutOfOrderSequenceNumber,
        TopicError.PolicyViolation => ErrorCode.PolicyViolation,
        _ => ErrorCode.UnknownServerError,
    });
}
