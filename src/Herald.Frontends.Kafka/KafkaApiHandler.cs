using Herald.Protocols.Kafka;

namespace Herald.Frontends.Kafka;

/// <summary>
/// Serves one Kafka API key (STYLE.md: one handler per API key). <see cref="Versions"/> is exactly what
/// ApiVersions advertises for the key, so what is advertised and what is served cannot drift apart. Handlers are
/// stateless singletons shared by every connection; thread-safe.
/// </summary>
internal abstract class KafkaApiHandler(ApiKey apiKey, VersionRange versions)
{
    public ApiKey ApiKey { get; } = apiKey;

    /// <summary>The versions served and advertised.</summary>
    public VersionRange Versions { get; } = versions;

    /// <summary>Decodes the body at <paramref name="version"/>; throws <see cref="KafkaProtocolException"/> when malformed.</summary>
    public abstract IKafkaMessage Parse(ref KafkaReader reader, short version);

    /// <summary>
    /// Handles a parsed request. Runs on the connection's read loop: the next request is read only once the
    /// returned task completes, so work that must happen in request order (appends) happens before returning, and
    /// waiting that need not (durability, long polls) goes into <see cref="KafkaReply.Later"/>.
    /// </summary>
    public abstract ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, IKafkaMessage request);
}

/// <summary>A handler for requests of type <typeparamref name="TRequest"/>.</summary>
internal abstract class KafkaApiHandler<TRequest>(ApiKey apiKey, VersionRange versions) : KafkaApiHandler(apiKey, versions)
    where TRequest : class, IKafkaMessage, new()
{
    public sealed override IKafkaMessage Parse(ref KafkaReader reader, short version)
    {
        var request = new TRequest();
        request.Read(ref reader, version);
        return request;
    }

    public sealed override ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, IKafkaMessage request) =>
        HandleAsync(context, (TRequest)request);

    protected abstract ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, TRequest request);
}
