using System.Diagnostics.CodeAnalysis;
using Herald.Frontends.Kafka.Handlers;
using Herald.Protocols.Kafka;

namespace Herald.Frontends.Kafka;

/// <summary>
/// The dispatch table: API key → handler. Deliberately thin (STYLE.md's anti-pattern "a god dispatcher"): it only
/// finds the handler; each handler file does the work. Also the source of the ApiVersions advertisement. Immutable.
/// </summary>
internal sealed class KafkaApiTable
{
    private readonly KafkaApiHandler?[] _handlers;

    public KafkaApiTable(IEnumerable<KafkaApiHandler> handlers)
    {
        var list = handlers.ToList();
        _handlers = new KafkaApiHandler?[list.Max(h => (int)h.ApiKey) + 1];
        foreach (var handler in list)
        {
            _handlers[(int)handler.ApiKey] = handler;
        }
        Handlers = [.. list.OrderBy(h => h.ApiKey)];
    }

    /// <summary>Every handler, by API key.</summary>
    public IReadOnlyList<KafkaApiHandler> Handlers { get; }

    /// <summary>The APIs this front end implements.</summary>
    public static KafkaApiTable CreateDefault() => new KafkaApiTable(
    [
        new ProduceHandler(),
        new FetchHandler(),
        new ListOffsetsHandler(),
        new MetadataHandler(),
        new ApiVersionsHandler(),
        new CreateTopicsHandler(),
        new DeleteTopicsHandler(),
        new DescribeConfigsHandler(),
        new AlterConfigsHandler(),
        new IncrementalAlterConfigsHandler(),
        new FindCoordinatorHandler(),
        new JoinGroupHandler(),
        new SyncGroupHandler(),
        new HeartbeatHandler(),
        new LeaveGroupHandler(),
        new OffsetCommitHandler(),
        new OffsetFetchHandler(),
        new ListGroupsHandler(),
        new DescribeGroupsHandler(),
        new DeleteGroupsHandler(),
        new OffsetDeleteHandler(),
        new InitProducerIdHandler(),
        new CreatePartitionsHandler(),
        new DeleteRecordsHandler(),
        new DescribeClusterHandler(),
    ]);

    public bool TryGet(short apiKey, [NotNullWhen(true)] out KafkaApiHandler? handler)
    {
        handler = (uint)apiKey < (uint)_handlers.Length ? _handlers[apiKey] : null;
        return handler is not null;
    }
}
