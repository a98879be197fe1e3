namespace Herald.Storage.Log;

/// <summary>Base type of the storage engine's own errors, so front ends can map each to a protocol error code.</summary>
public abstract class StorageException : Exception
{
    protected StorageException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>
/// The log found corruption it must not repair silently (bad data before the tail, offset gaps or overlaps). It
/// refuses reads and appends until an operator repairs it (reliability.md rule H4).
/// </summary>
public sealed class LogDamagedException(string message) : StorageException(message);

/// <summary>
/// A write or fsync failed with an I/O error. The log is taken offline (fail-stop) because the kernel may have
/// dropped the dirty pages: retrying the fsync and trusting it would ack lost data (rule H5, "fsyncgate").
/// </summary>
public sealed class LogOfflineException(string message, Exception? inner = null) : StorageException(message, inner);

/// <summary>The requested offset is before the log start or after the log end.</summary>
public sealed class OffsetOutOfRangeException(string message) : StorageException(message);

/// <summary>An appended batch is malformed: bad framing, magic, CRC or size. Nothing of the append was stored.</summary>
public sealed class InvalidRecordBatchException(string message) : StorageException(message);

/// <summary>The log was closed or deleted.</summary>
public sealed class LogClosedException(string message) : StorageException(message);
