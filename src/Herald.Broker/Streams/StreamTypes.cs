namespace Herald.Broker.Streams;

/// <summary>Why a stream operation was refused; the front end words each as Redis does.</summary>
public enum StreamError
{
    None,
    /// <summary>The key holds no stream.</summary>
    NoSuchKey,
    /// <summary>The ID given to XADD is not above the stream's last ID.</summary>
    IdNotGreater,
    /// <summary>The last possible ID was used; nothing can be added.</summary>
    IdExhausted,
    /// <summary>The key names a Kafka topic with more than one partition, which is no Redis stream.</summary>
    WrongType,
    /// <summary>No such consumer group on the key.</summary>
    NoGroup,
    /// <summary>XGROUP CREATE of a group that exists.</summary>
    GroupExists,
    /// <summary>XSETID below the top item.</summary>
    SetIdBelowTop,
    /// <summary>XSETID's ENTRIESADDED below the length.</summary>
    EntriesAddedBelowLength,
    /// <summary>XSETID's MAXDELETEDID above the new last ID.</summary>
    MaxDeletedAboveId,
    /// <summary>The storage refused the write (disk full, log offline).</summary>
    Storage,
}

/// <summary>How XADD picks the new entry's ID: <c>*</c>, <c>ms-*</c> or explicit.</summary>
public enum StreamIdKind
{
    Auto,
    AutoSequence,
    Explicit,
}

/// <summary>
/// An XADD request. <see cref="FieldsAndValues"/> may point into the caller's buffers: they are copied into the log
/// before <see cref="StreamStore.TryAdd"/> returns (before <see cref="StreamStore.AddAsync"/> completes).
/// </summary>
public sealed record StreamAddRequest(StreamIdKind IdKind, StreamId Id, IReadOnlyList<ReadOnlyMemory<byte>> FieldsAndValues, bool NoMkStream, StreamTrim? Trim);

/// <summary>The outcome of XADD: the new ID, or null with NOMKSTREAM on a missing key.</summary>
public readonly record struct StreamAddResult(StreamError Error, StreamId? Id);

/// <summary>A consumer group's starting or new position: <c>$</c> (the stream's last ID) or an explicit ID.</summary>
public readonly record struct StreamGroupPosition(bool LastEntry, StreamId Id);

/// <summary>The entries one XREADGROUP read from one key.</summary>
public readonly record struct StreamGroupReadResult(StreamError Error, List<StreamEntry>? Entries);

/// <summary>XCLAIM's options.</summary>
public sealed record StreamClaimRequest(
    byte[] Group, byte[] Consumer, long MinIdleMs, IReadOnlyList<StreamId> Ids, long? IdleMs, long? TimeMs, long? RetryCount,
    bool Force, bool JustId, StreamId? LastId);

/// <summary>XCLAIM and XAUTOCLAIM results: claimed entries (null bodies for JUSTID), the next cursor and deleted IDs.</summary>
public sealed record StreamClaimResult(StreamError Error, List<StreamEntry> Claimed, StreamId NextCursor, List<StreamId> DeletedIds);

/// <summary>One row of extended XPENDING.</summary>
public readonly record struct PendingInfo(StreamId Id, byte[] Consumer, long IdleMs, long DeliveryCount);

/// <summary>XPENDING's summary: count, smallest and largest ID, and per-consumer counts.</summary>
public sealed record PendingSummary(long Count, StreamId Smallest, StreamId Largest, List<(byte[] Consumer, long Count)> Consumers);
