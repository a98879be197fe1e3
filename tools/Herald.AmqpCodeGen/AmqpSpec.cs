using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Herald.AmqpCodeGen;

/// <summary>One argument of a method or one content property: its spec name, its wire type and its spec default.</summary>
public sealed record AmqpField(string Name, string Type, JsonElement? Default)
{
    /// <summary>
    /// The property's name; the few spec names that collide with a struct's own members (access.request's
    /// <c>read</c> and <c>write</c>) get a <c>Field</c> suffix.
    /// </summary>
    public string PascalName => AmqpSpec.Pascal(Name) is "Read" or "Write" or "Name" or "HasContent" or "GetSize" ? AmqpSpec.Pascal(Name) + "Field" : AmqpSpec.Pascal(Name);
}

public sealed record AmqpMethod(AmqpClass Class, string Name, int Id, bool HasContent, bool Synchronous, IReadOnlyList<AmqpField> Arguments)
{
    /// <summary>The struct's name, as RabbitMQ's client spells it: class and method in PascalCase (<c>BasicPublish</c>).</summary>
    public string TypeName => Class.PascalName + AmqpSpec.Pascal(Name);

    public string FullName => Class.Name + "." + Name;

    /// <summary>
    /// True for the methods a client sends. The JSON spec does not carry the XML spec's chassis elements, so this is
    /// the rule they follow: a client sends every request, and a server every reply (<c>-ok</c>), delivery
    /// (<c>basic.deliver</c>, <c>basic.return</c>, <c>basic.get-empty</c>) and the connection handshake's
    /// challenges. basic.ack, basic.nack and basic.cancel go both ways (confirms, consumer cancel notifications).
    /// </summary>
    public bool SentByClient => !Name.EndsWith("-ok", StringComparison.Ordinal) && Name is not ("return" or "deliver" or "get-empty")
        && FullName is not ("connection.start" or "connection.secure" or "connection.tune" or "connection.blocked" or "connection.unblocked");
}

public sealed record AmqpClass(string Name, int Id)
{
    public string PascalName => AmqpSpec.Pascal(Name);

    public List<AmqpMethod> Methods { get; } = [];

    public List<AmqpField> Properties { get; } = [];
}

public sealed record AmqpConstant(string Name, int Value, string? ErrorClass)
{
    public string PascalName => AmqpSpec.Pascal(Name.ToLowerInvariant());
}

/// <summary>
/// The RabbitMQ JSON form of the AMQP 0-9-1 spec (<c>amqp-rabbitmq-0.9.1.json</c>, as the rabbitmq-codegen project
/// ships it): <c>domains</c> (pairs of domain name and wire type), <c>constants</c> (name, value, optional error
/// class soft-error or hard-error) and <c>classes</c> (id, name, methods with id, arguments, content and synchronous
/// flags, and for basic the content properties). An argument names either a wire type (<c>type</c>) or a domain.
/// </summary>
public sealed class AmqpSpec
{
    public required int Major { get; init; }

    public required int Minor { get; init; }

    public required int Revision { get; init; }

    public required IReadOnlyList<AmqpConstant> Constants { get; init; }

    /// <summary>Classes in ascending id order, methods in ascending id order.</summary>
    public required IReadOnlyList<AmqpClass> Classes { get; init; }

    public static AmqpSpec Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        var domains = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in root.GetProperty("domains").EnumerateArray())
        {
            domains[pair[0].GetString()!] = pair[1].GetString()!;
        }

        var constants = root.GetProperty("constants").EnumerateArray()
            .Select(c => new AmqpConstant(
                c.GetProperty("name").GetString()!,
                c.GetProperty("value").GetInt32(),
                c.TryGetProperty("class", out var errorClass) ? errorClass.GetString() : null))
            .ToList();

        var classes = new List<AmqpClass>();
        foreach (var c in root.GetProperty("classes").EnumerateArray())
        {
            var amqpClass = new AmqpClass(c.GetProperty("name").GetString()!, c.GetProperty("id").GetInt32());
            foreach (var m in c.GetProperty("methods").EnumerateArray())
            {
                var arguments = m.GetProperty("arguments").EnumerateArray().Select(a => Field(a, domains)).ToList();
                amqpClass.Methods.Add(new AmqpMethod(
                    amqpClass,
                    m.GetProperty("name").GetString()!,
                    m.GetProperty("id").GetInt32(),
                    m.TryGetProperty("content", out var content) && content.GetBoolean(),
                    m.TryGetProperty("synchronous", out var synchronous) && synchronous.GetBoolean(),
                    arguments));
            }
            amqpClass.Methods.Sort((a, b) => a.Id.CompareTo(b.Id));
            if (c.TryGetProperty("properties", out var properties))
            {
                amqpClass.Properties.AddRange(properties.EnumerateArray().Select(p => Field(p, domains)));
            }
            classes.Add(amqpClass);
        }
        classes.Sort((a, b) => a.Id.CompareTo(b.Id));

        return new AmqpSpec
        {
            Major = root.GetProperty("major-version").GetInt32(),
            Minor = root.GetProperty("minor-version").GetInt32(),
            Revision = root.GetProperty("revision").GetInt32(),
            Constants = constants,
            Classes = classes,
        };
    }

    private static AmqpField Field(JsonElement element, Dictionary<string, string> domains)
    {
        var name = element.GetProperty("name").GetString()!;
        var type = element.TryGetProperty("type", out var t)
            ? t.GetString()!
            : domains[element.GetProperty("domain").GetString()!];
        JsonElement? defaultValue = element.TryGetProperty("default-value", out var d) ? d.Clone() : null;
        return new AmqpField(name, type, defaultValue);
    }

    /// <summary><c>routing-key</c> → <c>RoutingKey</c>.</summary>
    public static string Pascal(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var part in name.Split('-', StringSplitOptions.RemoveEmptyEntries))
        {
            builder.Append(char.ToUpper(part[0], CultureInfo.InvariantCulture)).Append(part.AsSpan(1));
        }
        return builder.ToString();
    }
}
