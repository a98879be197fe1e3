using System.Reflection;

namespace Herald.Protocols.Amqp.Tests;

/// <summary>
/// Every generated method struct, filled with values that differ from every default, encodes to its declared size,
/// decodes to the same values and re-encodes to the same bytes; cut short, it fails with 502 SYNTAX_ERROR.
/// </summary>
public sealed class MethodRoundTripTests
{
    public static TheoryData<string> MethodTypes()
    {
        var data = new TheoryData<string>();
        foreach (var type in AllMethodTypes())
        {
            data.Add(type.Name);
        }
        return data;
    }

    [Fact]
    public void There_is_one_struct_per_method_the_spec_names()
    {
        var types = AllMethodTypes().ToList();
        foreach (var type in types)
        {
            var classId = (ushort)type.GetProperty("ProtocolClassId")!.GetValue(null)!;
            var methodId = (ushort)type.GetProperty("ProtocolMethodId")!.GetValue(null)!;
            Assert.Equal(type.GetProperty("Name")!.GetValue(null), AmqpMethodInfo.Name(classId, methodId));
        }
        // 8 classes, 66 methods in RabbitMQ's 0-9-1 spec.
        Assert.Equal(66, types.Count);
        Assert.Equal("basic.publish", AmqpMethodInfo.Name(60, 40));
        Assert.Null(AmqpMethodInfo.Name(60, 41));
        Assert.True(AmqpMethodInfo.HasContent(60, 40));
        Assert.False(AmqpMethodInfo.HasContent(60, 80));
        Assert.True(AmqpMethodInfo.IsSentByClient(60, 80));
        Assert.False(AmqpMethodInfo.IsSentByClient(60, 60));
    }

    [Theory]
    [MemberData(nameof(MethodTypes))]
    public void Method_round_trips_with_non_default_values(string typeName)
    {
        var type = AllMethodTypes().Single(t => t.Name == typeName);
        typeof(MethodRoundTripTests).GetMethod(nameof(RoundTrip), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(type).Invoke(null, [Filled(type)]);
    }

    private static void RoundTrip<TMethod>(object boxed) where TMethod : struct, IAmqpMethod<TMethod>
    {
        var method = (TMethod)boxed;
        var bytes = Encode(method);
        Assert.Equal(method.GetSize(), bytes.Length);

        var reader = new AmqpReader(bytes);
        var decoded = TMethod.Read(ref reader);
        Assert.Equal(0, reader.Remaining);
        foreach (var property in Settable(typeof(TMethod)))
        {
            AssertSameValue(property.GetValue(method), property.GetValue(decoded), property.Name);
        }
        Assert.Equal(bytes, Encode(decoded));

        if (bytes.Length > 0)
        {
            var error = Assert.Throws<AmqpProtocolException>(() =>
            {
                var truncated = new AmqpReader(bytes.AsSpan(0, bytes.Length - 1));
                TMethod.Read(ref truncated);
            });
            Assert.Equal(AmqpReplyCode.SyntaxError, error.ReplyCode);
        }
    }

    internal static byte[] Encode<TMethod>(TMethod method) where TMethod : struct, IAmqpMethod
    {
        var bytes = new byte[method.GetSize()];
        var writer = new AmqpWriter(bytes);
        method.Write(ref writer);
        Assert.Equal(bytes.Length, writer.Position);
        return bytes;
    }

    private static void AssertSameValue(object? expected, object? actual, string name)
    {
        switch (expected)
        {
            case byte[] bytes:
                Assert.Equal(bytes, Assert.IsType<byte[]>(actual));
                break;
            case AmqpTable table:
                var decoded = Assert.IsType<AmqpTable>(actual);
                Assert.Equal(table.Select(e => e.Key), decoded.Select(e => e.Key));
                break;
            default:
                Assert.True(Equals(expected, actual), $"{name}: {expected} != {actual}");
                break;
        }
    }

    /// <summary>An instance whose every argument differs from its default: bits flipped, numbers and strings distinct.</summary>
    private static object Filled(Type type)
    {
        var instance = Activator.CreateInstance(type)!;
        var index = 0;
        foreach (var property in Settable(type))
        {
            index++;
            object value = property.PropertyType switch
            {
                var t when t == typeof(bool) => !(bool)property.GetValue(instance)!,
                var t when t == typeof(byte) => (byte)(0xA0 + index),
                var t when t == typeof(ushort) => (ushort)(0xBE00 + index),
                var t when t == typeof(uint) => 0xDEADBE00u + (uint)index,
                var t when t == typeof(ulong) => 0x0102030405060700UL + (ulong)index,
                var t when t == typeof(string) => $"value-{index}-é",
                var t when t == typeof(byte[]) => new byte[] { 1, 2, 0, (byte)index, 0xFF },
                var t when t == typeof(AmqpTable) => new AmqpTable().Add("x-index", index).Add("x-text", "text"),
                var t => throw new InvalidOperationException($"no test value for {t}"),
            };
            property.SetValue(instance, value);
        }
        return instance;
    }

    private static IEnumerable<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite);

    private static IEnumerable<Type> AllMethodTypes() =>
        typeof(IAmqpMethod).Assembly.GetTypes()
            .Where(t => t.IsValueType && typeof(IAmqpMethod).IsAssignableFrom(t))
            .OrderBy(t => t.Name, StringComparer.Ordinal);
}
