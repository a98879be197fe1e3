namespace Herald.CodeGen;

/// <summary>
/// Emits the per-field code of one struct class: property, read, write, size, default checks and the tagged-field
/// section. Every condition on <c>version</c> is computed against the versions in which the struct can occur, so
/// constant conditions fold away and the output reads like hand-written code.
/// <para>
/// Encoding rules (Kafka's MessageDataGenerator.java, KIP-482): a field is written in the versions of its
/// <c>versions</c> range; in flexible versions strings, bytes and arrays are compact (unsigned varint length + 1,
/// 0 = null) unless the field overrides <c>flexibleVersions</c>; tagged fields go to the struct's tagged section,
/// in ascending tag order interleaved with unknown tags, and only when they differ from their default; a nullable
/// struct is preceded by an int8 marker (-1 null, 1 present); writing a non-default value into a version without
/// the field throws unless the field is <c>ignorable</c>.
/// </para>
/// </summary>
public sealed class FieldEmitter
{
    /// <summary>Locals and parameters the generated methods declare; field-derived locals must avoid them.</summary>
    private static readonly HashSet<string> ReservedLocals =
        ["reader", "writer", "version", "flexible", "size", "taggedCount", "nextUnknown", "tagReader", "tag", "t", "i",
            "element", "valueSize"];

    private readonly CodeWriter _w;
    private readonly MessageSpec _message;
    private readonly Versions _range;
    private readonly Versions _flexibleRange;
    private readonly IReadOnlyDictionary<string, string> _classNames;
    private readonly IReadOnlyList<FieldSpec> _fields;
    private readonly List<FieldSpec> _taggedFields;

    /// <summary><see cref="FlexibleCondition"/> as the method bodies test it: a constant or the local "flexible".</summary>
    private readonly string _flexibleTest;

    public FieldEmitter(CodeWriter writer, MessageSpec message, Versions range, Versions flexibleRange,
        IReadOnlyDictionary<string, string> classNames, IReadOnlyList<FieldSpec> fields)
    {
        _w = writer;
        _message = message;
        _range = range;
        _flexibleRange = flexibleRange;
        _classNames = classNames;
        _fields = fields;
        FlexibleCondition = flexibleRange.Condition(range);
        _flexibleTest = FlexibleCondition is "true" or "false" ? FlexibleCondition : "flexible";
        _taggedFields = [.. fields.Where(f => !Ranges(f).Tagged.IsEmpty).OrderBy(f => f.Tag)];
        Validate();
    }

    /// <summary>The condition under which this struct is encoded flexibly: "true", "false" or a comparison.</summary>
    public string FlexibleCondition { get; }

    public void EmitProperty(FieldSpec field)
    {
        if (field.About.Length > 0)
        {
            _w.Line($"/// <summary>{MessageEmitter.Xml(field.About)}</summary>");
        }
        var attribute = $"[KafkaField(\"{field.Versions}\"";
        var nullable = field.NullableVersions.Intersect(field.Versions);
        if (!nullable.IsEmpty)
        {
            attribute += $", NullableVersions = \"{field.NullableVersions}\"";
        }
        if (!field.TaggedVersions.IsEmpty)
        {
            attribute += $", TaggedVersions = \"{field.TaggedVersions}\", Tag = {field.Tag}";
        }
        _w.Line(attribute + ")]");
        var initializer = NeedsInitializer(field) ? $" = {DefaultValue(field)};" : "";
        _w.Line($"public {PropertyType(field)} {field.Name} {{ get; set; }}{initializer}");
    }

    public void EmitRead(FieldSpec field)
    {
        var regular = Ranges(field).Regular;
        _w.If(regular.Condition(_range),
            () => ReadValue(field, regular, "reader", tagged: false),
            () => _w.Line($"{field.Name} = {DefaultValue(field)};"));
    }

    public void EmitWrite(FieldSpec field)
    {
        var (_, tagged, regular) = Ranges(field);
        var regularCondition = regular.Condition(_range);
        var nonDefault = DefaultChecks(field).NonDefault;
        var throwLine = $"KafkaProtocolException.ThrowNonDefaultField(nameof({field.Name}), version);";
        var absent = field.Ignorable ? "false" : field.Versions.NegatedCondition(_range);
        if (tagged.IsEmpty && absent != "false" && regularCondition is not ("true" or "false"))
        {
            // Present or absent partition the versions: the check becomes the else branch.
            _w.Open($"if ({regularCondition})");
            WriteValue(field, regular, tagged: false);
            _w.Close();
            _w.Open($"else if ({nonDefault})");
            _w.Line(throwLine);
            _w.Close();
            return;
        }
        _w.If(regularCondition, () => WriteValue(field, regular, tagged: false));
        if (absent != "false")
        {
            _w.Open($"if ({(absent == "true" ? nonDefault : $"{absent} && {Parenthesize(nonDefault)}")})");
            _w.Line(throwLine);
            _w.Close();
        }
    }

    public void EmitSize(FieldSpec field, string target)
    {
        var regular = Ranges(field).Regular;
        _w.If(regular.Condition(_range), () => SizeValue(field, regular, target, tagged: false));
    }

    public void EmitReadTaggedSection()
    {
        _w.Line("UnknownTaggedFields = null;");
        _w.If(_flexibleTest, () =>
        {
            if (_taggedFields.Count == 0)
            {
                _w.Line("UnknownTaggedFields = reader.ReadUnknownTaggedFields();");
                return;
            }
            _w.Line("var taggedCount = reader.ReadTaggedFieldCount();");
            _w.Open("for (var t = 0; t < taggedCount; t++)");
            _w.Line("var tagReader = reader.ReadTaggedField(out var tag);");
            _w.Open("switch (tag)");
            foreach (var field in _taggedFields)
            {
                var tagged = Ranges(field).Tagged;
                var condition = tagged.Condition(_flexibleRange);
                _w.Line(condition == "true" ? $"case {field.Tag}:" : $"case {field.Tag} when {condition}:");
                _w.Open("");
                ReadValue(field, tagged, "tagReader", tagged: true);
                _w.Line("break;");
                _w.Close();
            }
            _w.Line("default:");
            _w.Line("    (UnknownTaggedFields ??= []).Add(new RawTaggedField(tag, tagReader.ReadRemainingBytes()));");
            _w.Line("    break;");
            _w.Close();
            _w.Close();
        });
    }

    public void EmitWriteTaggedSection()
    {
        _w.If(_flexibleTest, () =>
        {
            if (_taggedFields.Count == 0)
            {
                _w.Line("writer.WriteUnknownTaggedFields(UnknownTaggedFields);");
                return;
            }
            _w.Line("var taggedCount = UnknownTaggedFields?.Count ?? 0;");
            foreach (var field in _taggedFields)
            {
                _w.Open($"if ({TagPresent(field)})");
                _w.Line("taggedCount++;");
                _w.Close();
            }
            _w.Line("writer.WriteUnsignedVarInt((uint)taggedCount);");
            _w.Line("var nextUnknown = 0;");
            foreach (var field in _taggedFields)
            {
                var tagged = Ranges(field).Tagged;
                _w.Line($"writer.WriteUnknownTaggedFields(UnknownTaggedFields, ref nextUnknown, {field.Tag});");
                _w.Open($"if ({TagPresent(field)})");
                _w.Line("var valueSize = 0;");
                SizeValue(field, tagged, "valueSize", tagged: true);
                _w.Line($"writer.WriteTaggedFieldHeader({field.Tag}, valueSize);");
                WriteValue(field, tagged, tagged: true);
                _w.Close();
            }
            _w.Line("writer.WriteUnknownTaggedFields(UnknownTaggedFields, ref nextUnknown, int.MaxValue);");
        });
    }

    public void EmitSizeTaggedSection()
    {
        _w.If(_flexibleTest, () =>
        {
            if (_taggedFields.Count == 0)
            {
                _w.Line("size += KafkaWriter.SizeOfUnsignedVarInt((uint)(UnknownTaggedFields?.Count ?? 0))");
                _w.Line("    + KafkaWriter.SizeOfUnknownTaggedFields(UnknownTaggedFields);");
                return;
            }
            _w.Line("var taggedCount = UnknownTaggedFields?.Count ?? 0;");
            _w.Line("size += KafkaWriter.SizeOfUnknownTaggedFields(UnknownTaggedFields);");
            foreach (var field in _taggedFields)
            {
                var tagged = Ranges(field).Tagged;
                _w.Open($"if ({TagPresent(field)})");
                _w.Line("taggedCount++;");
                _w.Line("var valueSize = 0;");
                SizeValue(field, tagged, "valueSize", tagged: true);
                _w.Line($"size += KafkaWriter.SizeOfTaggedField({field.Tag}, valueSize);");
                _w.Close();
            }
            _w.Line("size += KafkaWriter.SizeOfUnsignedVarInt((uint)taggedCount);");
        });
    }

    /// <summary>Emits <c>HasOnlyDefaults()</c>: true when an optional occurrence of this struct would carry nothing.</summary>
    public void EmitHasOnlyDefaults(bool hasUnknownTaggedFields)
    {
        var checks = _fields.Select(f => DefaultChecks(f).IsDefault).ToList();
        if (hasUnknownTaggedFields)
        {
            checks.Add("(UnknownTaggedFields is null || UnknownTaggedFields.Count == 0)");
        }
        _w.Line("/// <summary>True when every field holds its default value, so an optional occurrence carries nothing.</summary>");
        if (checks.Count == 0)
        {
            _w.Line("public bool HasOnlyDefaults() => true;");
            return;
        }
        _w.Line("public bool HasOnlyDefaults() =>");
        for (var i = 0; i < checks.Count; i++)
        {
            var check = checks[i].Contains("||", StringComparison.Ordinal) && !checks[i].StartsWith('(') ? $"({checks[i]})" : checks[i];
            _w.Line($"    {(i == 0 ? "" : "&& ")}{check}{(i == checks.Count - 1 ? ";" : "")}");
        }
    }

    private void ReadValue(FieldSpec field, Versions range, string reader, bool tagged)
    {
        var compact = Compact(field, range, tagged);
        var nullable = Nullable(field, range);
        var name = field.Name;
        var local = Camel(name);
        if (field.IsArray)
        {
            var count = Pick(nullable, $"{reader}.ReadNullableArrayCount({compact})", $"{reader}.ReadArrayCount({compact})");
            _w.Line($"var {local}Count = {count};");
            void ReadElements()
            {
                _w.Line($"var {local}List = new List<{ElementType(field)}>({local}Count);");
                _w.Open($"for (var i = 0; i < {local}Count; i++)");
                switch (PrimitiveType.KindOf(field.ElementType))
                {
                    case FieldKind.Fixed:
                        _w.Line($"{local}List.Add({reader}.{PrimitiveType.Find(field.ElementType)!.ReadCall});");
                        break;
                    case FieldKind.String:
                        _w.Line($"{local}List.Add({reader}.ReadString({compact}));");
                        break;
                    case FieldKind.Bytes:
                        _w.Line($"{local}List.Add({reader}.ReadBytes({compact}));");
                        break;
                    default:
                        _w.Line($"var element = new {ElementType(field)}();");
                        _w.Line($"element.Read(ref {reader}, version);");
                        _w.Line($"{local}List.Add(element);");
                        break;
                }
                _w.Close();
                _w.Line($"{name} = {local}List;");
            }
            if (nullable == "false")
            {
                ReadElements();
                return;
            }
            _w.Open($"if ({local}Count < 0)");
            _w.Line($"{name} = null;");
            _w.Close();
            _w.Open("else");
            ReadElements();
            _w.Close();
            return;
        }
        switch (PrimitiveType.KindOf(field.ElementType))
        {
            case FieldKind.Fixed:
                _w.Line($"{name} = {reader}.{PrimitiveType.Find(field.ElementType)!.ReadCall};");
                break;
            case FieldKind.String:
                _w.Line($"{name} = {Pick(nullable, $"{reader}.ReadNullableString({compact})", $"{reader}.ReadString({compact})")};");
                break;
            case FieldKind.Bytes:
                _w.Line($"{name} = {Pick(nullable, $"{reader}.ReadNullableBytes({compact})", $"{reader}.ReadBytes({compact})")};");
                break;
            default:
                void ReadStruct()
                {
                    _w.Line($"var {local}Value = new {ElementType(field)}();");
                    _w.Line($"{local}Value.Read(ref {reader}, version);");
                    _w.Line($"{name} = {local}Value;");
                }
                if (nullable == "false")
                {
                    ReadStruct();
                    break;
                }
                var isNull = nullable == "true" ? $"{reader}.ReadInt8() < 0" : $"{nullable} && {reader}.ReadInt8() < 0";
                _w.Open($"if ({isNull})");
                _w.Line($"{name} = null;");
                _w.Close();
                _w.Open("else");
                ReadStruct();
                _w.Close();
                break;
        }
    }

    private void WriteValue(FieldSpec field, Versions range, bool tagged)
    {
        var compact = Compact(field, range, tagged);
        var nullable = Nullable(field, range);
        var name = field.Name;
        var throwNull = $"KafkaProtocolException.ThrowNullField(nameof({name}), version);";
        if (field.IsArray)
        {
            void WriteElements()
            {
                _w.Line($"writer.WriteArrayCount({name}.Count, {compact});");
                _w.Open($"foreach (var element in {name})");
                _w.Line(PrimitiveType.KindOf(field.ElementType) switch
                {
                    FieldKind.Fixed => $"writer.{PrimitiveType.Find(field.ElementType)!.WriteMethod}(element);",
                    FieldKind.String => $"writer.WriteString(element, {compact});",
                    FieldKind.Bytes => $"writer.WriteBytes(element, {compact});",
                    _ => "element.Write(ref writer, version);",
                });
                _w.Close();
            }
            if (!IsNullableProperty(field))
            {
                WriteElements();
                return;
            }
            _w.Open($"if ({name} is null)");
            _w.If(nullable, () => _w.Line($"writer.WriteNullArray({compact});"), () => _w.Line(throwNull));
            _w.Close();
            _w.Open("else");
            WriteElements();
            _w.Close();
            return;
        }
        switch (PrimitiveType.KindOf(field.ElementType))
        {
            case FieldKind.Fixed:
                _w.Line($"writer.{PrimitiveType.Find(field.ElementType)!.WriteMethod}({name});");
                break;
            case FieldKind.String:
                _w.If(nullable,
                    () => _w.Line($"writer.WriteNullableString({name}, {compact});"),
                    () => _w.Line($"writer.WriteString({name}, {compact});"));
                break;
            case FieldKind.Bytes:
                _w.If(nullable,
                    () => _w.Line($"writer.WriteNullableBytes({name}, {compact});"),
                    () => _w.Line($"writer.WriteBytes({name}, {compact});"));
                break;
            default:
                if (!IsNullableProperty(field))
                {
                    _w.Line($"{name}.Write(ref writer, version);");
                    break;
                }
                _w.Open($"if ({name} is null)");
                _w.If(nullable, () => _w.Line("writer.WriteInt8(-1);"), () => _w.Line(throwNull));
                _w.Close();
                _w.Open("else");
                _w.If(nullable, () => _w.Line("writer.WriteInt8(1);"));
                _w.Line($"{name}.Write(ref writer, version);");
                _w.Close();
                break;
        }
    }

    private void SizeValue(FieldSpec field, Versions range, string target, bool tagged)
    {
        var compact = Compact(field, range, tagged);
        var nullable = Nullable(field, range);
        var name = field.Name;
        var isNullableProperty = IsNullableProperty(field);
        if (field.IsArray)
        {
            var count = isNullableProperty ? $"{name}?.Count ?? -1" : $"{name}.Count";
            _w.Line($"{target} += KafkaWriter.SizeOfArrayCount({count}, {compact});");
            var kind = PrimitiveType.KindOf(field.ElementType);
            if (kind == FieldKind.Fixed)
            {
                var elementSize = PrimitiveType.Find(field.ElementType)!.FixedSize;
                _w.Line(isNullableProperty
                    ? $"{target} += ({name}?.Count ?? 0) * {elementSize};"
                    : $"{target} += {name}.Count * {elementSize};");
                return;
            }
            void SizeElements()
            {
                _w.Open($"foreach (var element in {name})");
                _w.Line(kind switch
                {
                    FieldKind.String => $"{target} += KafkaWriter.SizeOfString(element, {compact});",
                    FieldKind.Bytes => $"{target} += KafkaWriter.SizeOfBytes(element, {compact});",
                    _ => $"{target} += element.GetSize(version);",
                });
                _w.Close();
            }
            if (isNullableProperty)
            {
                _w.Open($"if ({name} is not null)");
                SizeElements();
                _w.Close();
            }
            else
            {
                SizeElements();
            }
            return;
        }
        switch (PrimitiveType.KindOf(field.ElementType))
        {
            case FieldKind.Fixed:
                _w.Line($"{target} += {PrimitiveType.Find(field.ElementType)!.FixedSize};");
                break;
            case FieldKind.String:
                _w.Line($"{target} += KafkaWriter.SizeOfString({name}, {compact});");
                break;
            case FieldKind.Bytes:
                _w.Line($"{target} += KafkaWriter.SizeOfBytes({name}, {compact});");
                break;
            default:
                if (!isNullableProperty)
                {
                    _w.Line($"{target} += {name}.GetSize(version);");
                    break;
                }
                var marker = nullable switch
                {
                    "true" => "1 + ",
                    "false" => "",
                    _ => $"({nullable} ? 1 : 0) + ",
                };
                _w.Line($"{target} += {marker}({name}?.GetSize(version) ?? 0);");
                break;
        }
    }

    /// <summary>
    /// The versions (within this struct's range) where the field exists, where it is tagged, and where it is a
    /// regular field. Tagged versions only count where the message is flexible.
    /// </summary>
    private (Versions Present, Versions Tagged, Versions Regular) Ranges(FieldSpec field)
    {
        var present = field.Versions.Intersect(_range);
        var tagged = field.TaggedVersions.Intersect(present).Intersect(_message.FlexibleVersions);
        Versions regular;
        if (tagged.IsEmpty)
        {
            regular = present;
        }
        else if (tagged.Covers(present))
        {
            regular = Versions.None;
        }
        else if (tagged.Highest >= present.Highest)
        {
            regular = new Versions(present.Lowest, (short)(tagged.Lowest - 1));
        }
        else
        {
            throw new InvalidDataException($"{_message.FileName}: field {field.Name} is tagged in the middle of its versions.");
        }
        return (present, tagged, regular);
    }

    private string TagPresent(FieldSpec field)
    {
        var condition = Ranges(field).Tagged.Condition(_flexibleRange);
        var nonDefault = DefaultChecks(field).NonDefault;
        return condition == "true" ? nonDefault : $"{condition} && {Parenthesize(nonDefault)}";
    }

    /// <summary>The compact-encoding condition for a field within <paramref name="range"/>.</summary>
    private string Compact(FieldSpec field, Versions range, bool tagged)
    {
        if (tagged)
        {
            return "true";
        }
        var flexible = (field.FlexibleVersions ?? _message.FlexibleVersions).Intersect(_message.FlexibleVersions);
        var condition = flexible.Condition(range);
        return condition is "true" or "false" || field.FlexibleVersions is not null ? condition : "flexible";
    }

    private string Nullable(FieldSpec field, Versions range) =>
        IsNullableProperty(field) ? field.NullableVersions.Condition(range) : "false";

    private static bool IsNullableProperty(FieldSpec field) =>
        !field.NullableVersions.Intersect(field.Versions).IsEmpty || field.Default == "null";

    private static string Pick(string condition, string whenTrue, string whenFalse) => condition switch
    {
        "true" => whenTrue,
        "false" => whenFalse,
        _ => $"{condition} ? {whenTrue} : {whenFalse}",
    };

    private static string Parenthesize(string expression) =>
        expression.Contains("||", StringComparison.Ordinal) ? $"({expression})" : expression;

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    private string ElementType(FieldSpec field) => PrimitiveType.KindOf(field.ElementType) switch
    {
        FieldKind.Fixed => PrimitiveType.Find(field.ElementType)!.CsType,
        FieldKind.String => "string",
        FieldKind.Bytes => "ReadOnlyMemory<byte>",
        _ => _classNames[field.ElementType],
    };

    private string PropertyType(FieldSpec field)
    {
        var type = field.IsArray ? $"List<{ElementType(field)}>" : ElementType(field);
        return IsNullableProperty(field) ? type + "?" : type;
    }

    /// <summary>The field's default as a C# expression, following Kafka's generator (FieldSpec.fieldDefault).</summary>
    private static string DefaultValue(FieldSpec field)
    {
        var isNull = field.Default == "null";
        if (field.IsArray)
        {
            return isNull ? "null" : "[]";
        }
        switch (PrimitiveType.KindOf(field.ElementType))
        {
            case FieldKind.Struct:
                return isNull ? "null" : "new()";
            case FieldKind.String:
                return isNull ? "null" : $"\"{Escape(field.Default ?? "")}\"";
            case FieldKind.Bytes:
                // Kafka defaults records to null and bytes to empty.
                return IsNullableProperty(field) && (isNull || field.ElementType == "records") ? "null" : "ReadOnlyMemory<byte>.Empty";
            default:
                return PrimitiveType.Find(field.ElementType)!.Literal(field.Default);
        }
    }

    private static bool NeedsInitializer(FieldSpec field)
    {
        var value = DefaultValue(field);
        if (value is "null" or "0" or "false" or "Guid.Empty")
        {
            return false;
        }
        // A non-nullable ReadOnlyMemory<byte> already starts empty.
        return !(value == "ReadOnlyMemory<byte>.Empty" && !IsNullableProperty(field));
    }

    /// <summary>Expressions testing whether the field holds its default, and the negation.</summary>
    private static (string IsDefault, string NonDefault) DefaultChecks(FieldSpec field)
    {
        var name = field.Name;
        var value = DefaultValue(field);
        if (value == "null")
        {
            return ($"{name} is null", $"{name} is not null");
        }
        var nullableProperty = IsNullableProperty(field);
        if (field.IsArray)
        {
            return nullableProperty
                ? ($"{name} is {{ Count: 0 }}", $"{name} is not {{ Count: 0 }}")
                : ($"{name}.Count == 0", $"{name}.Count != 0");
        }
        switch (PrimitiveType.KindOf(field.ElementType))
        {
            case FieldKind.Struct:
                return nullableProperty
                    ? ($"{name} is not null && {name}.HasOnlyDefaults()", $"{name} is null || !{name}.HasOnlyDefaults()")
                    : ($"{name}.HasOnlyDefaults()", $"!{name}.HasOnlyDefaults()");
            case FieldKind.Bytes:
                return nullableProperty
                    ? ($"{name} is {{ IsEmpty: true }}", $"{name} is not {{ IsEmpty: true }}")
                    : ($"{name}.IsEmpty", $"!{name}.IsEmpty");
            case FieldKind.Fixed when field.ElementType == "bool":
                return value == "true" ? (name, $"!{name}") : ($"!{name}", name);
            default:
                return ($"{name} == {value}", $"{name} != {value}");
        }
    }

    private static string Escape(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    private void Validate()
    {
        var tags = new HashSet<int>();
        foreach (var field in _fields)
        {
            var local = Camel(field.Name);
            if (ReservedLocals.Contains(local + "Count") || ReservedLocals.Contains(local + "List")
                || ReservedLocals.Contains(local + "Value"))
            {
                throw new InvalidDataException($"{_message.FileName}: field {field.Name} clashes with a generated local.");
            }
            if (field.TaggedVersions.IsEmpty)
            {
                continue;
            }
            if (field.Tag is not { } tag || !tags.Add(tag))
            {
                throw new InvalidDataException($"{_message.FileName}: field {field.Name} has a missing or duplicate tag.");
            }
            if (field.ElementType == "records" || (!field.IsArray && field.IsStructType && IsNullableProperty(field)))
            {
                // Kafka's generator has special encodings for these; no schema uses them, so neither do we.
                throw new InvalidDataException($"{_message.FileName}: tagged field {field.Name} has an unsupported type.");
            }
        }
    }
}
