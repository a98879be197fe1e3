namespace Herald.Protocols.Kafka;

/// <summary>
/// Every Kafka error code by number, as carried in the <c>ErrorCode</c> (int16) fields of responses. Names are the
/// Java constants in PascalCase; each summary gives the Java name and Kafka's description. Source: apache/kafka
/// <c>clients/src/main/java/org/apache/kafka/common/protocol/Errors.java</c> (codes -1 to 133, trunk of 2025; codes
/// are never reused or renumbered, so later additions only append). Before sending a code, check that the client's
/// request version knows it (kafka-compatibility.md, pitfall 15).
/// </summary>
public enum ErrorCode : short
{
    /// <summary>UNKNOWN_SERVER_ERROR: The server experienced an unexpected error when processing the request.</summary>
    UnknownServerError = -1,

    /// <summary>NONE: No error.</summary>
    None = 0,

    /// <summary>OFFSET_OUT_OF_RANGE: The requested offset is not within the range of offsets maintained by the server.</summary>
    OffsetOutOfRange = 1,

    /// <summary>CORRUPT_MESSAGE: This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt.</summary>
    CorruptMessage = 2,

    /// <summary>UNKNOWN_TOPIC_OR_PARTITION: This server does not host this topic-partition.</summary>
    UnknownTopicOrPartition = 3,

    /// <summary>INVALID_FETCH_SIZE: The requested fetch size is invalid.</summary>
    InvalidFetchSize = 4,

    /// <summary>LEADER_NOT_AVAILABLE: There is no leader for this topic-partition as we are in the middle of a leadership election.</summary>
    LeaderNotAvailable = 5,

    /// <summary>NOT_LEADER_OR_FOLLOWER: For requests intended only for the leader, this broker is not the current leader; for requests intended for any replica, this broker is not a replica of the topic partition.</summary>
    NotLeaderOrFollower = 6,

    /// <summary>REQUEST_TIMED_OUT: The request timed out.</summary>
    RequestTimedOut = 7,

    /// <summary>BROKER_NOT_AVAILABLE: The broker is not available.</summary>
    BrokerNotAvailable = 8,

    /// <summary>REPLICA_NOT_AVAILABLE: The replica is not available for the requested topic-partition.</summary>
    ReplicaNotAvailable = 9,

    /// <summary>MESSAGE_TOO_LARGE: The request included a message larger than the max message size the server will accept.</summary>
    MessageTooLarge = 10,

    /// <summary>STALE_CONTROLLER_EPOCH: The controller moved to another broker.</summary>
    StaleControllerEpoch = 11,

    /// <summary>OFFSET_METADATA_TOO_LARGE: The metadata field of the offset request was too large.</summary>
    OffsetMetadataTooLarge = 12,

    /// <summary>NETWORK_EXCEPTION: The server disconnected before a response was received.</summary>
    NetworkException = 13,

    /// <summary>COORDINATOR_LOAD_IN_PROGRESS: The coordinator is loading and hence can't process requests.</summary>
    CoordinatorLoadInProgress = 14,

    /// <summary>COORDINATOR_NOT_AVAILABLE: The coordinator is not available.</summary>
    CoordinatorNotAvailable = 15,

    /// <summary>NOT_COORDINATOR: This is not the correct coordinator.</summary>
    NotCoordinator = 16,

    /// <summary>INVALID_TOPIC_EXCEPTION: The request attempted to perform an operation on an invalid topic.</summary>
    InvalidTopicException = 17,

    /// <summary>RECORD_LIST_TOO_LARGE: The request included message batch larger than the configured segment size on the server.</summary>
    RecordListTooLarge = 18,

    /// <summary>NOT_ENOUGH_REPLICAS: Messages are rejected since there are fewer in-sync replicas than required.</summary>
    NotEnoughReplicas = 19,

    /// <summary>NOT_ENOUGH_REPLICAS_AFTER_APPEND: Messages are written to the log, but to fewer in-sync replicas than required.</summary>
    NotEnoughReplicasAfterAppend = 20,

    /// <summary>INVALID_REQUIRED_ACKS: Produce request specified an invalid value for required acks.</summary>
    InvalidRequiredAcks = 21,

    /// <summary>ILLEGAL_GENERATION: Specified group generation id is not valid.</summary>
    IllegalGeneration = 22,

    /// <summary>INCONSISTENT_GROUP_PROTOCOL: The group member's supported protocols are incompatible with those of existing members or first group member tried to join with empty protocol type or empty protocol list.</summary>
    InconsistentGroupProtocol = 23,

    /// <summary>INVALID_GROUP_ID: The group id is invalid.</summary>
    InvalidGroupId = 24,

    /// <summary>UNKNOWN_MEMBER_ID: The coordinator is not aware of this member.</summary>
    UnknownMemberId = 25,

    /// <summary>INVALID_SESSION_TIMEOUT: The session timeout is not within the range allowed by the broker (as configured by group.min.session.timeout.ms and group.max.session.timeout.ms).</summary>
    InvalidSessionTimeout = 26,

    /// <summary>REBALANCE_IN_PROGRESS: The group is rebalancing, so a rejoin is needed.</summary>
    RebalanceInProgress = 27,

    /// <summary>INVALID_COMMIT_OFFSET_SIZE: The committing offset data size is not valid.</summary>
    InvalidCommitOffsetSize = 28,

    /// <summary>TOPIC_AUTHORIZATION_FAILED: Topic authorization failed.</summary>
    TopicAuthorizationFailed = 29,

    /// <summary>GROUP_AUTHORIZATION_FAILED: Group authorization failed.</summary>
    GroupAuthorizationFailed = 30,

    /// <summary>CLUSTER_AUTHORIZATION_FAILED: Cluster authorization failed.</summary>
    ClusterAuthorizationFailed = 31,

    /// <summary>INVALID_TIMESTAMP: The timestamp of the message is out of acceptable range.</summary>
    InvalidTimestamp = 32,

    /// <summary>UNSUPPORTED_SASL_MECHANISM: The broker does not support the requested SASL mechanism.</summary>
    UnsupportedSaslMechanism = 33,

    /// <summary>ILLEGAL_SASL_STATE: Request is not valid given the current SASL state.</summary>
    IllegalSaslState = 34,

    /// <summary>UNSUPPORTED_VERSION: The version of API is not supported.</summary>
    UnsupportedVersion = 35,

    /// <summary>TOPIC_ALREADY_EXISTS: Topic with this name already exists.</summary>
    TopicAlreadyExists = 36,

    /// <summary>INVALID_PARTITIONS: Number of partitions is below 1.</summary>
    InvalidPartitions = 37,

    /// <summary>INVALID_REPLICATION_FACTOR: Replication factor is below 1 or larger than the number of available brokers.</summary>
    InvalidReplicationFactor = 38,

    /// <summary>INVALID_REPLICA_ASSIGNMENT: Replica assignment is invalid.</summary>
    InvalidReplicaAssignment = 39,

    /// <summary>INVALID_CONFIG: Configuration is invalid.</summary>
    InvalidConfig = 40,

    /// <summary>NOT_CONTROLLER: This is not the correct controller for this cluster.</summary>
    NotController = 41,

    /// <summary>INVALID_REQUEST: The request is malformed or was sent to an incompatible broker.</summary>
    InvalidRequest = 42,

    /// <summary>UNSUPPORTED_FOR_MESSAGE_FORMAT: The message format version on the broker does not support the request.</summary>
    UnsupportedForMessageFormat = 43,

    /// <summary>POLICY_VIOLATION: Request parameters do not satisfy the configured policy.</summary>
    PolicyViolation = 44,

    /// <summary>OUT_OF_ORDER_SEQUENCE_NUMBER: The broker received an out of order sequence number.</summary>
    OutOfOrderSequenceNumber = 45,

    /// <summary>DUPLICATE_SEQUENCE_NUMBER: The broker received a duplicate sequence number.</summary>
    DuplicateSequenceNumber = 46,

    /// <summary>INVALID_PRODUCER_EPOCH: Producer attempted to produce with an old epoch.</summary>
    InvalidProducerEpoch = 47,

    /// <summary>INVALID_TXN_STATE: The producer attempted a transactional operation in an invalid state.</summary>
    InvalidTxnState = 48,

    /// <summary>INVALID_PRODUCER_ID_MAPPING: The producer attempted to use a producer id which is not currently assigned to its transactional id.</summary>
    InvalidProducerIdMapping = 49,

    /// <summary>INVALID_TRANSACTION_TIMEOUT: The transaction timeout is larger than the maximum value allowed by the broker (as configured by transaction.max.timeout.ms).</summary>
    InvalidTransactionTimeout = 50,

    /// <summary>CONCURRENT_TRANSACTIONS: The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing.</summary>
    ConcurrentTransactions = 51,

    /// <summary>TRANSACTION_COORDINATOR_FENCED: The transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer.</summary>
    TransactionCoordinatorFenced = 52,

    /// <summary>TRANSACTIONAL_ID_AUTHORIZATION_FAILED: Transactional Id authorization failed.</summary>
    TransactionalIdAuthorizationFailed = 53,

    /// <summary>SECURITY_DISABLED: Security features are disabled.</summary>
    SecurityDisabled = 54,

    /// <summary>OPERATION_NOT_ATTEMPTED: The broker did not attempt to execute this operation, because other operations in the same batched request failed.</summary>
    OperationNotAttempted = 55,

    /// <summary>KAFKA_STORAGE_ERROR: Disk error when trying to access log file on the disk.</summary>
    KafkaStorageError = 56,

    /// <summary>LOG_DIR_NOT_FOUND: The user-specified log directory is not found in the broker config.</summary>
    LogDirNotFound = 57,

    /// <summary>SASL_AUTHENTICATION_FAILED: SASL Authentication failed.</summary>
    SaslAuthenticationFailed = 58,

    /// <summary>UNKNOWN_PRODUCER_ID: The broker could not locate the producer metadata associated with the producer id (for example, its records were deleted by retention).</summary>
    UnknownProducerId = 59,

    /// <summary>REASSIGNMENT_IN_PROGRESS: A partition reassignment is in progress.</summary>
    ReassignmentInProgress = 60,

    /// <summary>DELEGATION_TOKEN_AUTH_DISABLED: Delegation Token feature is not enabled.</summary>
    DelegationTokenAuthDisabled = 61,

    /// <summary>DELEGATION_TOKEN_NOT_FOUND: Delegation Token is not found on server.</summary>
    DelegationTokenNotFound = 62,

    /// <summary>DELEGATION_TOKEN_OWNER_MISMATCH: Specified Principal is not valid Owner/Renewer.</summary>
    DelegationTokenOwnerMismatch = 63,

    /// <summary>DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on delegation token authenticated channels.</summary>
    DelegationTokenRequestNotAllowed = 64,

    /// <summary>DELEGATION_TOKEN_AUTHORIZATION_FAILED: Delegation Token authorization failed.</summary>
    DelegationTokenAuthorizationFailed = 65,

    /// <summary>DELEGATION_TOKEN_EXPIRED: Delegation Token is expired.</summary>
    DelegationTokenExpired = 66,

    /// <summary>INVALID_PRINCIPAL_TYPE: Supplied principalType is not supported.</summary>
    InvalidPrincipalType = 67,

    /// <summary>NON_EMPTY_GROUP: The group is not empty.</summary>
    NonEmptyGroup = 68,

    /// <summary>GROUP_ID_NOT_FOUND: The group id does not exist.</summary>
    GroupIdNotFound = 69,

    /// <summary>FETCH_SESSION_ID_NOT_FOUND: The fetch session ID was not found.</summary>
    FetchSessionIdNotFound = 70,

    /// <summary>INVALID_FETCH_SESSION_EPOCH: The fetch session epoch is invalid.</summary>
    InvalidFetchSessionEpoch = 71,

    /// <summary>LISTENER_NOT_FOUND: There is no listener on the leader broker that matches the listener on which metadata request was processed.</summary>
    ListenerNotFound = 72,

    /// <summary>TOPIC_DELETION_DISABLED: Topic deletion is disabled.</summary>
    TopicDeletionDisabled = 73,

    /// <summary>FENCED_LEADER_EPOCH: The leader epoch in the request is older than the epoch on the broker.</summary>
    FencedLeaderEpoch = 74,

    /// <summary>UNKNOWN_LEADER_EPOCH: The leader epoch in the request is newer than the epoch on the broker.</summary>
    UnknownLeaderEpoch = 75,

    /// <summary>UNSUPPORTED_COMPRESSION_TYPE: The requesting client does not support the compression type of given partition.</summary>
    UnsupportedCompressionType = 76,

    /// <summary>STALE_BROKER_EPOCH: Broker epoch has changed.</summary>
    StaleBrokerEpoch = 77,

    /// <summary>OFFSET_NOT_AVAILABLE: The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing.</summary>
    OffsetNotAvailable = 78,

    /// <summary>MEMBER_ID_REQUIRED: The group member needs to have a valid member id before actually entering a consumer group.</summary>
    MemberIdRequired = 79,

    /// <summary>PREFERRED_LEADER_NOT_AVAILABLE: The preferred leader was not available.</summary>
    PreferredLeaderNotAvailable = 80,

    /// <summary>GROUP_MAX_SIZE_REACHED: The group has reached its maximum size.</summary>
    GroupMaxSizeReached = 81,

    /// <summary>FENCED_INSTANCE_ID: The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id.</summary>
    FencedInstanceId = 82,

    /// <summary>ELIGIBLE_LEADERS_NOT_AVAILABLE: Eligible topic partition leaders are not available.</summary>
    EligibleLeadersNotAvailable = 83,

    /// <summary>ELECTION_NOT_NEEDED: Leader election not needed for topic partition.</summary>
    ElectionNotNeeded = 84,

    /// <summary>NO_REASSIGNMENT_IN_PROGRESS: No partition reassignment is in progress.</summary>
    NoReassignmentInProgress = 85,

    /// <summary>GROUP_SUBSCRIBED_TO_TOPIC: Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it.</summary>
    GroupSubscribedToTopic = 86,

    /// <summary>INVALID_RECORD: This record has failed the validation on broker and hence will be rejected.</summary>
    InvalidRecord = 87,

    /// <summary>UNSTABLE_OFFSET_COMMIT: There are unstable offsets that need to be cleared.</summary>
    UnstableOffsetCommit = 88,

    /// <summary>THROTTLING_QUOTA_EXCEEDED: The throttling quota has been exceeded.</summary>
    ThrottlingQuotaExceeded = 89,

    /// <summary>PRODUCER_FENCED: There is a newer producer with the same transactionalId which fences the current one.</summary>
    ProducerFenced = 90,

    /// <summary>RESOURCE_NOT_FOUND: A request illegally referred to a resource that does not exist.</summary>
    ResourceNotFound = 91,

    /// <summary>DUPLICATE_RESOURCE: A request illegally referred to the same resource twice.</summary>
    DuplicateResource = 92,

    /// <summary>UNACCEPTABLE_CREDENTIAL: Requested credential would not meet criteria for acceptability.</summary>
    UnacceptableCredential = 93,

    /// <summary>INCONSISTENT_VOTER_SET: Either the sender or recipient of a voter-only request is not one of the expected voters.</summary>
    InconsistentVoterSet = 94,

    /// <summary>INVALID_UPDATE_VERSION: The given update version was invalid.</summary>
    InvalidUpdateVersion = 95,

    /// <summary>FEATURE_UPDATE_FAILED: Unable to update finalized features due to an unexpected server error.</summary>
    FeatureUpdateFailed = 96,

    /// <summary>PRINCIPAL_DESERIALIZATION_FAILURE: Request principal deserialization failed during forwarding.</summary>
    PrincipalDeserializationFailure = 97,

    /// <summary>SNAPSHOT_NOT_FOUND: Requested snapshot was not found.</summary>
    SnapshotNotFound = 98,

    /// <summary>POSITION_OUT_OF_RANGE: Requested position is not greater than or equal to zero, and less than the size of the snapshot.</summary>
    PositionOutOfRange = 99,

    /// <summary>UNKNOWN_TOPIC_ID: This server does not host this topic ID.</summary>
    UnknownTopicId = 100,

    /// <summary>DUPLICATE_BROKER_REGISTRATION: This broker ID is already in use.</summary>
    DuplicateBrokerRegistration = 101,

    /// <summary>BROKER_ID_NOT_REGISTERED: The given broker ID was not registered.</summary>
    BrokerIdNotRegistered = 102,

    /// <summary>INCONSISTENT_TOPIC_ID: The log's topic ID did not match the topic ID in the request.</summary>
    InconsistentTopicId = 103,

    /// <summary>INCONSISTENT_CLUSTER_ID: The clusterId in the request does not match that found on the server.</summary>
    InconsistentClusterId = 104,

    /// <summary>TRANSACTIONAL_ID_NOT_FOUND: The transactionalId could not be found.</summary>
    TransactionalIdNotFound = 105,

    /// <summary>FETCH_SESSION_TOPIC_ID_ERROR: The fetch session encountered inconsistent topic ID usage.</summary>
    FetchSessionTopicIdError = 106,

    /// <summary>INELIGIBLE_REPLICA: The new ISR contains at least one ineligible replica.</summary>
    IneligibleReplica = 107,

    /// <summary>NEW_LEADER_ELECTED: The AlterPartition request successfully updated the partition state but the leader has changed.</summary>
    NewLeaderElected = 108,

    /// <summary>OFFSET_MOVED_TO_TIERED_STORAGE: The requested offset is moved to tiered storage.</summary>
    OffsetMovedToTieredStorage = 109,

    /// <summary>FENCED_MEMBER_EPOCH: The member epoch is fenced by the group coordinator. The member must abandon all its partitions and rejoin.</summary>
    FencedMemberEpoch = 110,

    /// <summary>UNRELEASED_INSTANCE_ID: The instance ID is still used by another member in the consumer group. That member must leave first.</summary>
    UnreleasedInstanceId = 111,

    /// <summary>UNSUPPORTED_ASSIGNOR: The assignor or its version range is not supported by the consumer group.</summary>
    UnsupportedAssignor = 112,

    /// <summary>STALE_MEMBER_EPOCH: The member epoch is stale. The member must retry after receiving its updated member epoch via the ConsumerGroupHeartbeat API.</summary>
    StaleMemberEpoch = 113,

    /// <summary>MISMATCHED_ENDPOINT_TYPE: The request was sent to an endpoint of the wrong type.</summary>
    MismatchedEndpointType = 114,

    /// <summary>UNSUPPORTED_ENDPOINT_TYPE: This endpoint type is not supported yet.</summary>
    UnsupportedEndpointType = 115,

    /// <summary>UNKNOWN_CONTROLLER_ID: This controller ID is not known.</summary>
    UnknownControllerId = 116,

    /// <summary>UNKNOWN_SUBSCRIPTION_ID: Client sent a push telemetry request with an invalid or outdated subscription ID.</summary>
    UnknownSubscriptionId = 117,

    /// <summary>TELEMETRY_TOO_LARGE: Client sent a push telemetry request larger than the maximum size the broker will accept.</summary>
    TelemetryTooLarge = 118,

    /// <summary>INVALID_REGISTRATION: The controller has considered the broker registration to be invalid.</summary>
    InvalidRegistration = 119,

    /// <summary>TRANSACTION_ABORTABLE: The server encountered an error with the transaction. The client can abort the transaction to continue using this transactional ID.</summary>
    TransactionAbortable = 120,

    /// <summary>INVALID_RECORD_STATE: The record state is invalid. The acknowledgement of delivery could not be completed.</summary>
    InvalidRecordState = 121,

    /// <summary>SHARE_SESSION_NOT_FOUND: The share session was not found.</summary>
    ShareSessionNotFound = 122,

    /// <summary>INVALID_SHARE_SESSION_EPOCH: The share session epoch is invalid.</summary>
    InvalidShareSessionEpoch = 123,

    /// <summary>FENCED_STATE_EPOCH: The share coordinator rejected the request because the share-group state epoch did not match.</summary>
    FencedStateEpoch = 124,

    /// <summary>INVALID_VOTER_KEY: The voter key doesn't match the receiving replica's key.</summary>
    InvalidVoterKey = 125,

    /// <summary>DUPLICATE_VOTER: The voter is already part of the set of voters.</summary>
    DuplicateVoter = 126,

    /// <summary>VOTER_NOT_FOUND: The voter is not part of the set of voters.</summary>
    VoterNotFound = 127,

    /// <summary>INVALID_REGULAR_EXPRESSION: The regular expression is not valid.</summary>
    InvalidRegularExpression = 128,

    /// <summary>REBOOTSTRAP_REQUIRED: Client metadata is stale. The client should rebootstrap to obtain new metadata.</summary>
    RebootstrapRequired = 129,

    /// <summary>STREAMS_INVALID_TOPOLOGY: The supplied topology is invalid.</summary>
    StreamsInvalidTopology = 130,

    /// <summary>STREAMS_INVALID_TOPOLOGY_EPOCH: The supplied topology epoch is invalid.</summary>
    StreamsInvalidTopologyEpoch = 131,

    /// <summary>STREAMS_TOPOLOGY_FENCED: The supplied topology epoch is outdated.</summary>
    StreamsTopologyFenced = 132,

    /// <summary>SHARE_SESSION_LIMIT_REACHED: The limit of share sessions has been reached.</summary>
    ShareSessionLimitReached = 133,
}
