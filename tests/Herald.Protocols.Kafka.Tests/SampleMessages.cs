using System.Collections;
using System.Reflection;
using System.Text;

namespace Herald.Protocols.Kafka.Tests;

/// <summary>
/// Builds sample messages by reflection over the generated properties and their <see cref="KafkaFieldAttribute"/>:
/// every field the version carries gets a value different from its default (so tagged fields are really sent),
/// arrays get two elements, nested structs are filled recursively. Options set nullable fields to null or append
/// unknown tagged fields. Deterministic: values come from a counter, not a random source.
/// </summary>
internal sealed class SampleMessages(bool nulls = false, bool unknownTags = false)
{
    /// <summary>Tags far above any the schemas use, so they are unknown to every struct.</summary>
    public const int FirstUnknownTag = 1000;

    private int _counter;

    public IKafkaMessage Create(string typeName, short version)
    {
        var entry = MessageCatalog.ByName[typeName];
        var message = MessageCatalog.Create(typeName);
        Fill(message, version, entry.FlexibleVersions.Contains(version));
        return message;
    }

    private void Fill(object instance, short version, bool flexible)
    {
        foreach (var property in instance.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var field = property.GetCustomAttribute<KafkaFieldAttribute>();
            if (field is null || !VersionRange.Parse(field.Versions).Contains(version))
            {
                continue;
            }
            if (nulls && field.NullableVersions is { } nullable && VersionRange.Parse(nullable).Contains(version))
            {
                property.SetValue(instance, null);
                continue;
            }
            property.SetValue(instance, Value(property.PropertyType, property.GetValue(instance), version, flexible));
        }
        if (unknownTags && flexible)
        {
            instance.GetType().GetProperty("UnknownTaggedFields")!.SetValue(instance, new List<RawTaggedField>
            {
                new(FirstUnknownTag, new byte[] { 0xCA, 0xFE }),
                new(FirstUnknownTag + 7, Array.Empty<byte>()),
            });
        }
    }

    private object Value(Type type, object? current, short version, bool flexible)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        var n = ++_counter;
        if (type == typeof(bool))
        {
            return current is not true;
        }
        if (type == typeof(sbyte))
        {
            return Differ((sbyte)(n % 100 + 1), current);
        }
        if (type == typeof(short))
        {
            return Differ((short)(n + 100), current);
        }
        if (type == typeof(ushort))
        {
            return Differ((ushort)(n + 40000), current);
        }
        if (type == typeof(int))
        {
            return Differ(n * 1000 + 7, current);
        }
        if (type == typeof(uint))
        {
            return Differ((uint)n + 3_000_000_000u, current);
        }
        if (type == typeof(long))
        {
            return Differ(n * 1_000_000_007L, current);
        }
        if (type == typeof(double))
        {
            return n + 0.25;
        }
        if (type == typeof(Guid))
        {
            var bytes = new byte[16];
            BitConverter.TryWriteBytes(bytes, n);
            bytes[15] = 0x42;
            return new Guid(bytes);
        }
        if (type == typeof(string))
        {
            // Non-ASCII on purpose: byte counts and character counts differ.
            return $"s{n}-\u00e9\u2603";
        }
        if (type == typeof(ReadOnlyMemory<byte>))
        {
            return new ReadOnlyMemory<byte>(Encoding.ASCII.GetBytes($"bytes-{n}"));
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var elementType = type.GetGenericArguments()[0];
            var list = (IList)Activator.CreateInstance(type)!;
            for (var i = 0; i < 2; i++)
            {
                list.Add(Value(elementType, DefaultOf(elementType), version, flexible));
            }
            return list;
        }
        // A nested struct class.
        var nested = Activator.CreateInstance(type)!;
        Fill(nested, version, flexible);
        return nested;
    }

    private static object Differ<T>(T candidate, object? current) where T : struct, IEquatable<T> =>
        current is T value && value.Equals(candidate) ? (object)Convert.ChangeType(Convert.ToInt64(candidate) + 1, typeof(T)) : candidate;

    private static object? DefaultOf(Type type) => type.IsValueType ? Activator.CreateInstance(type) : null;
}

/// <summary>Structural comparison of generated messages, naming the path of the first difference.</summary>
internal static class MessageAssert
{
    public static void Equivalent(object? expected, object? actual, string path = "message")
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {Show(expected)}, got {Show(actual)}");
            return;
        }
        switch (expected)
        {
            case ReadOnlyMemory<byte> bytes:
                Assert.True(bytes.Span.SequenceEqual(((ReadOnlyMemory<byte>)actual).Span), $"{path}: bytes differ");
                return;
            case RawTaggedField tagged:
                var other = (RawTaggedField)actual;
                Assert.True(tagged.Tag == other.Tag, $"{path}: tag {tagged.Tag} != {other.Tag}");
                Assert.True(tagged.Data.Span.SequenceEqual(other.Data.Span), $"{path}: tagged data differ");
                return;
            case IList list:
                var otherList = (IList)actual;
                Assert.True(list.Count == otherList.Count, $"{path}: count {list.Count} != {otherList.Count}");
                for (var i = 0; i < list.Count; i++)
                {
                    Equivalent(list[i], otherList[i], $"{path}[{i}]");
                }
                return;
        }
        var type = expected.GetType();
        if (type.Namespace?.StartsWith("Herald.Protocols.Kafka", StringComparison.Ordinal) == true && type.IsClass)
        {
            Assert.Equal(type, actual.GetType());
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.CanWrite)
                {
                    Equivalent(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
                }
            }
            return;
        }
        Assert.True(expected.Equals(actual), $"{path}: expected {Show(expected)}, got {Show(actual)}");
    }

    private static string Show(object? value) => value is null ? "null" : $"'{value}'";
}
