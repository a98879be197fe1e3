using Herald.Storage.Metadata;

namespace Herald.Broker;

/// <summary>
/// The node's cluster id: generated once, kept in the metadata store under <c>cluster/id</c>, and the same on every
/// start, so clients that compare cluster ids (Kafka's Metadata v2+) see one cluster across restarts. The format
/// is Kafka's: a random UUID as 22 characters of URL-safe base64 without padding.
/// </summary>
internal static class ClusterIdentity
{
    private const string Key = "cluster/id";

    public static async Task<string> LoadOrCreateAsync(MetadataStore metadata, CancellationToken cancellationToken)
    {
        if (metadata.TryGet(Key, out var stored) && stored.Length > 0)
        {
            return System.Text.Encoding.UTF8.GetString(stored);
        }
        var id = Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await metadata.PutAsync(Key, System.Text.Encoding.UTF8.GetBytes(id), cancellationToken);
        return id;
    }
}
