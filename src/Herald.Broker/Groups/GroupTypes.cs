namespace Herald.Broker.Groups;

/// <summary>A group's state as Kafka's classic protocol names it (kafka-compatibility.md section 4).</summary>
public enum GroupState
{
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,

    /// <summary>Deleted, or never existed: what DescribeGroups reports for an unknown group.</summary>
    Dead,
}

/// <summary>
/// Why the coordinator refused an operation, in neutral terms; each front end maps these onto its own codes (for
/// Kafka the names match its error codes one to one).
/// </summary>
public enum GroupError
{
    None,
    InvalidGroupId,
    InvalidSessionTimeout,
    InconsistentGroupProtocol,
    UnknownMemberId,

    /// <summary>A new dynamic member was given an id and must join again with it (Kafka's KIP-394 handshake).</summary>
    MemberIdRequired,
    IllegalGeneration,
    RebalanceInProgress,

    /// <summary>Another member took over this static member's instance id.</summary>
    FencedInstanceId,
    GroupMaxSizeReached,

    /// <summary>The coordinator has not finished loading committed offsets, or the group was deleted meanwhile.</summary>
    CoordinatorNotAvailable,
    GroupIdNotFound,
    NonEmptyGroup,
    OffsetMetadataTooLarge,

    /// <summary>OffsetDelete of a topic the group's members still subscribe to.</summary>
    GroupSubscribedToTopic,

    /// <summary>Committed offsets could not be stored.</summary>
    StorageUnavailable,
}

/// <summary>One protocol (for consumers: an assignor) a member supports, with its opaque subscription bytes.</summary>
public sealed record GroupProtocol(string Name, byte[] Metadata);

/// <summary>
/// A join as the front end decoded it. <see cref="RequireKnownMemberId"/> asks for the two-step handshake of new
/// dynamic members (Kafka JoinGroup v4+): the first join only gets an id.
/// </summary>
public sealed record GroupJoinRequest(
    string GroupId,
    string MemberId,
    string? GroupInstanceId,
    string ClientId,
    string ClientHost,
    TimeSpan SessionTimeout,
    TimeSpan RebalanceTimeout,
    string ProtocolType,
    IReadOnlyList<GroupProtocol> Protocols,
    bool RequireKnownMemberId);

/// <summary>A member as the leader sees it when it computes the assignment.</summary>
public sealed record JoinedMember(string MemberId, string? GroupInstanceId, byte[] Metadata);

/// <summary>
/// The answer to a join. <see cref="Members"/> is filled for the leader only; on errors only <see cref="MemberId"/>
/// may be meaningful (it carries the new id with <see cref="GroupError.MemberIdRequired"/>).
/// </summary>
public sealed record GroupJoinResult(
    GroupError Error,
    int GenerationId,
    string? ProtocolType,
    string? ProtocolName,
    string LeaderId,
    string MemberId,
    IReadOnlyList<JoinedMember> Members)
{
    public static GroupJoinResult Failed(GroupError error, string memberId = "") =>
        new(error, -1, null, null, "", memberId, []);
}

/// <summary>A sync as the front end decoded it; <see cref="Assignments"/> is the leader's (empty from followers).</summary>
public sealed record GroupSyncRequest(
    string GroupId,
    string MemberId,
    string? GroupInstanceId,
    int GenerationId,
    string? ProtocolType,
    string? ProtocolName,
    IReadOnlyDictionary<string, byte[]> Assignments);

public sealed record GroupSyncResult(GroupError Error, string? ProtocolType, string? ProtocolName, byte[] Assignment)
{
    public static GroupSyncResult Failed(GroupError error) => new(error, null, null, []);
}

/// <summary>One member named in a leave: by member id, by static instance id, or both.</summary>
public sealed record LeavingMember(string MemberId, string? GroupInstanceId);

/// <summary>A member as DescribeGroups shows it; metadata and assignment are those of the chosen protocol.</summary>
public sealed record GroupMemberDescription(
    string MemberId, string? GroupInstanceId, string ClientId, string ClientHost, byte[] Metadata, byte[] Assignment);

public sealed record GroupDescription(
    string GroupId, GroupState State, string ProtocolType, string ProtocolName, IReadOnlyList<GroupMemberDescription> Members);

public sealed record GroupListing(string GroupId, string ProtocolType, GroupState State);

/// <summary>
/// Reads which topics a member subscribes to from its protocol metadata. The coordinator keeps those bytes opaque;
/// only a front end knows their format (for Kafka: the consumer protocol's subscription). Used by offset deletion,
/// which must refuse topics the group still consumes.
/// </summary>
public interface ISubscriptionFormat
{
    /// <summary>True for groups whose metadata this format reads (Kafka: protocol type "consumer").</summary>
    bool Understands(string protocolType);

    /// <summary>The subscribed topics, or null when the bytes cannot be read (then every topic counts as subscribed).</summary>
    IReadOnlyCollection<string>? TopicsOf(byte[] metadata);
}

/// <summary>A partition named in an offset deletion.</summary>
public readonly record struct GroupTopicPartition(string Topic, int Partition);
