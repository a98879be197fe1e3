using System.Globalization;

namespace Herald.CodeGen;

/// <summary>How one schema type maps to C#: the CLR type and the reader/writer calls that carry it.</summary>
public enum FieldKind
{
    /// <summary>bool, int8..int64, uint16, uint32, float64, uuid: a fixed number of bytes.</summary>
    Fixed,
    String,

    /// <summary><c>bytes</c> and <c>records</c>; both stay raw bytes (record batches are never decoded here).</summary>
    Bytes,
    Struct,
}

/// <summary>The schema's primitive types and their C# counterparts.</summary>
public sealed record PrimitiveType(string SchemaName, string CsType, int FixedSize, string ReadCall, string WriteMethod)
{
    private static readonly Dictionary<string, PrimitiveType> BySchemaName = new(StringComparer.Ordinal)
    {
        ["bool"] = new("bool", "bool", 1, "ReadBool()", "WriteBool"),
        ["int8"] = new("int8", "sbyte", 1, "ReadInt8()", "WriteInt8"),
        ["int16"] = new("int16", "short", 2, "ReadInt16()", "WriteInt16"),
        ["uint16"] = new("uint16", "ushort", 2, "ReadUInt16()", "WriteUInt16"),
        ["int32"] = new("int32", "int", 4, "ReadInt32()", "WriteInt32"),
        ["uint32"] = new("uint32", "uint", 4, "ReadUInt32()", "WriteUInt32"),
        ["int64"] = new("int64", "long", 8, "ReadInt64()", "WriteInt64"),
        ["float64"] = new("float64", "double", 8, "ReadFloat64()", "WriteFloat64"),
        ["uuid"] = new("uuid", "Guid", 16, "ReadUuid()", "WriteUuid"),
    };

    public static PrimitiveType? Find(string schemaName) => BySchemaName.GetValueOrDefault(schemaName);

    public static FieldKind KindOf(string elementType) => elementType switch
    {
        "string" => FieldKind.String,
        "bytes" or "records" => FieldKind.Bytes,
        _ when char.IsUpper(elementType[0]) => FieldKind.Struct,
        _ when Find(elementType) is not null => FieldKind.Fixed,
        _ => throw new InvalidDataException($"Unknown field type '{elementType}'."),
    };

    /// <summary>A C# literal for a numeric or boolean schema default ("-1", "0x7fffffff", "false"...).</summary>
    public string Literal(string? schemaDefault)
    {
        if (SchemaName == "uuid")
        {
            // Kafka writes UUID defaults as base64; only the zero UUID is ever used.
            return "Guid.Empty";
        }
        if (SchemaName == "bool")
        {
            return string.Equals(schemaDefault, "true", StringComparison.OrdinalIgnoreCase) ? "true" : "false";
        }
        if (schemaDefault is null)
        {
            return "0";
        }
        if (SchemaName == "float64")
        {
            return double.Parse(schemaDefault, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture);
        }
        var text = schemaDefault.Trim();
        var negative = text.StartsWith('-');
        var digits = negative ? text[1..] : text;
        var magnitude = digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.Parse(digits[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : long.Parse(digits, CultureInfo.InvariantCulture);
        var value = negative ? -magnitude : magnitude;
        var (min, max) = SchemaName switch
        {
            "int8" => ((long)sbyte.MinValue, (long)sbyte.MaxValue),
            "int16" => (short.MinValue, short.MaxValue),
            "uint16" => (ushort.MinValue, ushort.MaxValue),
            "int32" => (int.MinValue, int.MaxValue),
            "uint32" => (uint.MinValue, uint.MaxValue),
            _ => (long.MinValue, long.MaxValue),
        };
        if (value < min || value > max)
        {
            throw new InvalidDataException($"Default {schemaDefault} does not fit {SchemaName}.");
        }
        // Spell the extremes by name: "int.MaxValue" says more than 2147483647.
        if (value != 0 && value == max)
        {
            return $"{CsType}.MaxValue";
        }
        if (value != 0 && value == min)
        {
            return $"{CsType}.MinValue";
        }
        return value.ToString(CultureInfo.InvariantCulture);
    }
}
