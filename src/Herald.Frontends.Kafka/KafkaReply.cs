using Herald.Protocols.Kafka;

namespace Herald.Frontends.Kafka;

/// <summary>
/// A response body ready to encode, and what to release once it is written: fetch responses carry pooled buffers
/// holding the records (<see cref="Lease"/>), which the connection disposes right after encoding.
/// </summary>
internal readonly record struct KafkaResponse(IKafkaMessage Body, IDisposable? Lease = null);

internal enum KafkaReplyKind : byte
{
    /// <summary>The response is ready now.</summary>
    Ready,

    /// <summary>The response comes later (produce awaiting durability, a long-polling fetch); later requests still
    /// run, and their responses queue behind this one.</summary>
    Pending,

    /// <summary>No response at all (Produce with acks=0).</summary>
    None,

    /// <summary>Close the connection once every earlier response has gone out (a failed acks=0 produce).</summary>
    Close,
}

/// <summary>
/// What a handler returns for one request, once its synchronous part (the part that fixes ordering, such as
/// appending a produced batch) is done. The connection queues it and writes responses in request order.
/// </summary>
internal readonly struct KafkaReply
{
    private KafkaReply(KafkaReplyKind kind, KafkaResponse response, Task<KafkaResponse>? pending, string? reason)
    {
        Kind = kind;
        Response = response;
        Pending = pending;
        CloseReason = reason;
    }

    public KafkaReplyKind Kind { get; }

    public KafkaResponse Response { get; }

    public Task<KafkaResponse>? Pending { get; }

    public string? CloseReason { get; }

    public static KafkaReply None => new(KafkaReplyKind.None, default, null, null);

    public static KafkaReply Ready(IKafkaMessage body, IDisposable? lease = null) =>
        new(KafkaReplyKind.Ready, new KafkaResponse(body, lease), null, null);

    public static KafkaReply Later(Task<KafkaResponse> pending) => new(KafkaReplyKind.Pending, default, pending, null);

    public static KafkaReply Close(string reason) => new(KafkaReplyKind.Close, default, null, reason);

    public static implicit operator ValueTask<KafkaReply>(KafkaReply reply) => ValueTask.FromResult(reply);
}
