namespace Herald.Protocols.Amqp;

/// <summary>
/// What every generated method struct offers: its ids and spec name, and its arguments' size and encoding. Generic
/// code (<c>Send&lt;T&gt;(T method) where T : IAmqpMethod</c>) reaches the static members without boxing.
/// </summary>
public interface IAmqpMethod
{
    static abstract ushort ProtocolClassId { get; }

    static abstract ushort ProtocolMethodId { get; }

    /// <summary>The spec's name, <c>class.method</c>.</summary>
    static abstract string Name { get; }

    /// <summary>True when a content header and body frames follow the method frame.</summary>
    static abstract bool HasContent { get; }

    /// <summary>Bytes of the arguments, excluding the class and method ids.</summary>
    int GetSize();

    /// <summary>Writes the arguments, excluding the class and method ids.</summary>
    void Write(ref AmqpWriter writer);
}

/// <summary>A method struct that can also decode itself.</summary>
public interface IAmqpMethod<TSelf> : IAmqpMethod where TSelf : struct, IAmqpMethod<TSelf>
{
    /// <summary>Reads the arguments (the reader is positioned after the class and method ids).</summary>
    static abstract TSelf Read(ref AmqpReader reader);
}
