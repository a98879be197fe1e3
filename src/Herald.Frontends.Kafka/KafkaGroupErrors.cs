using Herald.Broker.Groups;
using Herald.Protocols.Kafka;

namespace Herald.Frontends.Kafka;

/// <summary>The group coordinator's refusals as Kafka's error codes (the names match one to one).</summary>
internal static class KafkaGroupErrors
{
    public static short From(GroupError error) => (short)(error switch
    {
        GroupError.None => ErrorCode.None,
        GroupError.InvalidGroupId => ErrorCode.InvalidGroupId,
        GroupError.InvalidSessionTimeout => ErrorCode.InvalidSessionTimeout,
        GroupError.InconsistentGroupProtocol => ErrorCode.InconsistentGroupProtocol,
        GroupError.UnknownMemberId => ErrorCode.UnknownMemberId,
        GroupError.MemberIdRequired => ErrorCode.MemberIdRequired,
        GroupError.IllegalGeneration => ErrorCode.IllegalGeneration,
        GroupError.RebalanceInProgress => ErrorCode.RebalanceInProgress,
        GroupError.FencedInstanceId => ErrorCode.FencedInstanceId,
        GroupError.GroupMaxSizeReached => ErrorCode.GroupMaxSizeReached,
        GroupError.CoordinatorNotAvailable => ErrorCode.CoordinatorNotAvailable,
        GroupError.GroupIdNotFound => ErrorCode.GroupIdNotFound,
        GroupError.NonEmptyGroup => ErrorCode.NonEmptyGroup,
        GroupError.OffsetMetadataTooLarge => ErrorCode.OffsetMetadataTooLarge,
        GroupError.GroupSubscribedToTopic => ErrorCode.GroupSubscribedToTopic,
        GroupError.StorageUnavailable => ErrorCode.KafkaStorageError,
        _ => ErrorCode.UnknownServerError,
    });
}
