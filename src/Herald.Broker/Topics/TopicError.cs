namespace Herald.Broker.Topics;

/// <summary>
/// Why a topic or partition operation was refused, in broker terms. Each front end maps these to its protocol's
/// codes (the Kafka front end to the Kafka error of the same name).
/// </summary>
public enum TopicError
{
    None,

    /// <summary>No such topic, or no such partition in it.</summary>
    UnknownTopicOrPartition,

    /// <summary>The name breaks the naming rules or collides with an existing topic.</summary>
    InvalidTopicName,

    TopicAlreadyExists,

    /// <summary>A partition count below one, or above <see cref="TopicRegistryOptions.MaxPartitions"/>.</summary>
    InvalidPartitions,

    /// <summary>A replication factor other than one (or "default") on a single node.</summary>
    InvalidReplicationFactor,

    /// <summary>A replica assignment naming another node or inconsistent partitions.</summary>
    InvalidReplicaAssignment,

    /// <summary>An unknown config name or an invalid value.</summary>
    InvalidConfig,

    /// <summary>The offset lies before the log start or beyond the log end.</summary>
    OffsetOutOfRange,

    /// <summary>A batch failed its CRC-32C check or is otherwise unreadable.</summary>
    CorruptMessage,

    /// <summary>A batch breaks the record batch rules (magic, counts, control or sequence fields).</summary>
    InvalidRecord,

    /// <summary>A batch is larger than the topic's <c>max.message.bytes</c>.</summary>
    MessageTooLarge,

    /// <summary>A batch is larger than a whole segment.</summary>
    RecordListTooLarge,

    /// <summary>A CreateTime timestamp outside the topic's allowed window.</summary>
    InvalidTimestamp,

    /// <summary>Transactional data, which this broker does not accept yet.</summary>
    TransactionsUnsupported,

    /// <summary>The partition's log is damaged, offline or closed.</summary>
    StorageUnavailable,

    /// <summary>An idempotent batch from an older epoch than the producer's current one.</summary>
    InvalidProducerEpoch,

    /// <summary>An idempotent batch whose first sequence does not follow the producer's last one.</summary>
    OutOfOrderSequenceNumber,

    /// <summary>The topic's configs forbid the operation (e.g. deleting records of a compact-only topic).</summary>
    PolicyViolation,
}
