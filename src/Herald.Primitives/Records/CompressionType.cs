namespace Herald.Primitives.Records;

/// <summary>Compression codec of a record batch: bits 0-2 of the batch attributes (Kafka's numbering).</summary>
public enum CompressionType : byte
{
    None = 0,
    Gzip = 1,
    Snappy = 2,
    Lz4 = 3,
    Zstd = 4,
}

/// <summary>Bit 3 of the batch attributes: whose clock the timestamps come from.</summary>
public enum TimestampType : byte
{
    CreateTime = 0,
    LogAppendTime = 1,
}
