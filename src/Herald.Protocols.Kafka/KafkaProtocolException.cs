using System.Diagnostics.CodeAnalysis;

namespace Herald.Protocols.Kafka;

/// <summary>
/// The bytes on the wire, or a message about to be written, do not fit the Kafka protocol: a truncated frame, a
/// length larger than what remains, a null where the schema forbids one, a version the message does not have, or
/// a field set to a non-default value in a version that cannot carry it. A server that catches it while reading a
/// request closes the connection, as Apache Kafka does; while writing, it is a bug in the caller.
/// The static <c>Throw*</c> helpers keep the throw sites out of the inlined hot paths of the reader and writer.
/// </summary>
public sealed class KafkaProtocolException : Exception
{
    public KafkaProtocolException(string message)
        : base(message)
    {
    }

    public KafkaProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Throws unless <paramref name="version"/> lies in [<paramref name="lowest"/>, <paramref name="highest"/>].</summary>
    public static void ThrowIfUnsupportedVersion(short version, short lowest, short highest, string messageName)
    {
        if (version < lowest || version > highest)
        {
            ThrowUnsupportedVersion(version, lowest, highest, messageName);
        }
    }

    [DoesNotReturn]
    public static void ThrowUnsupportedVersion(short version, short lowest, short highest, string messageName) =>
        throw new KafkaProtocolException($"{messageName} has no version {version}; valid versions are {lowest}-{highest}.");

    /// <summary>A field the given version cannot carry holds a non-default value (Kafka: a non-ignorable field).</summary>
    [DoesNotReturn]
    public static void ThrowNonDefaultField(string fieldName, short version) =>
        throw new KafkaProtocolException($"Field {fieldName} is set to a non-default value, but version {version} cannot carry it.");

    [DoesNotReturn]
    public static void ThrowNullField(string fieldName, short version) =>
        throw new KafkaProtocolException($"Field {fieldName} is null, but version {version} does not allow null.");

    /// <summary>The writer was handed null for a value whose encoding in this version has no null marker.</summary>
    [DoesNotReturn]
    internal static void ThrowNullValue(string what) =>
        throw new KafkaProtocolException($"Cannot write a null {what}: the schema does not allow null in this version.");

    [DoesNotReturn]
    internal static void ThrowTruncated(int needed, int remaining) =>
        throw new KafkaProtocolException($"Truncated input: needed {needed} more bytes, {remaining} remain.");

    [DoesNotReturn]
    internal static void ThrowInvalidLength(string what, long length, int remaining) =>
        throw new KafkaProtocolException($"Invalid {what} length {length} with {remaining} bytes remaining.");

    [DoesNotReturn]
    internal static void ThrowUnexpectedNull(string what) =>
        throw new KafkaProtocolException($"A non-nullable {what} was encoded as null.");

    [DoesNotReturn]
    internal static void ThrowMalformedVarInt() =>
        throw new KafkaProtocolException("Malformed variable-length integer: more than 5 bytes or out of range.");

    [DoesNotReturn]
    internal static void ThrowBufferTooSmall(int needed, int remaining) =>
        throw new KafkaProtocolException(
            $"Destination too small: needed {needed} more bytes, {remaining} remain (GetSize and Write disagree?).");
}
