using System.Text;

namespace Herald.Frontends.Kafka.Tests;

/// <summary>
/// The default key partitioners of the clients under test, computed independently, so a test can check that a
/// record landed where the client's partitioner (and so Apache Kafka with that client) would put it.
/// </summary>
public static class Partitioners
{
    /// <summary>
    /// Java's (and kafkajs's, kafka-python's) default: <c>toPositive(murmur2(key)) % partitions</c>
    /// (apache/kafka <c>Utils.murmur2</c>, seed 0x9747b28c).
    /// </summary>
    public static int Murmur2(string key, int partitions) => (int)((uint)(Murmur2Hash(Encoding.UTF8.GetBytes(key)) & 0x7fffffff) % partitions);

    /// <summary>librdkafka's default <c>consistent_random</c> for a non-empty key: <c>crc32(key) % partitions</c>.</summary>
    public static int Crc32(string key, int partitions) => (int)(Crc32Hash(Encoding.UTF8.GetBytes(key)) % (uint)partitions);

    private static int Murmur2Hash(byte[] data)
    {
        const uint m = 0x5bd1e995;
        const int r = 24;
        var length = data.Length;
        var h = 0x9747b28c ^ (uint)length;
        var quads = length / 4;
        for (var i = 0; i < quads; i++)
        {
            var k = (uint)(data[i * 4] | data[i * 4 + 1] << 8 | data[i * 4 + 2] << 16 | data[i * 4 + 3] << 24);
            k *= m;
            k ^= k >> r;
            k *= m;
            h *= m;
            h ^= k;
        }
        var tail = quads * 4;
        switch (length % 4)
        {
            case 3:
                h ^= (uint)data[tail + 2] << 16;
                goto case 2;
            case 2:
                h ^= (uint)data[tail + 1] << 8;
                goto case 1;
            case 1:
                h ^= data[tail];
                h *= m;
                break;
        }
        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return (int)h;
    }

    private static uint Crc32Hash(byte[] data)
    {
        var crc = 0xffffffffu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
            }
        }
        return ~crc;
    }
}
