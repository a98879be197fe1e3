using Herald.Server.Storage;
using Herald.TestKit;

namespace Herald.Server.Tests;

public sealed class DataDirectoryLockTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Creates_missing_parents_and_records_the_owner_process()
    {
        var data = _directory.Combine("a", "b", "data");

        using (DataDirectoryLock.Acquire(data))
        {
            Assert.True(Directory.Exists(data));
        }

        Assert.Equal($"{Environment.ProcessId}\n", File.ReadAllText(Path.Combine(data, ".lock")));
    }

    [Fact]
    public void Refuses_a_second_holder_until_the_first_releases()
    {
        var data = _directory.Combine("data");
        var first = DataDirectoryLock.Acquire(data);

        var refused = Assert.Throws<HeraldStartupException>(() => DataDirectoryLock.Acquire(data));
        Assert.Equal(HeraldStartupError.DataDirectoryUnavailable, refused.Error);
        Assert.Contains("in use by another Herald process", refused.Message);

        first.Dispose();
        DataDirectoryLock.Acquire(data).Dispose();
    }

    [Fact]
    public void Refuses_a_path_that_is_a_file()
    {
        var file = _directory.Combine("data");
        File.WriteAllText(file, "");

        var refused = Assert.Throws<HeraldStartupException>(() => DataDirectoryLock.Acquire(file));

        Assert.Equal(HeraldStartupError.DataDirectoryUnavailable, refused.Error);
        Assert.Contains("is a file", refused.Message);
    }

    [Fact]
    public void Refuses_a_directory_under_a_file()
    {
        var file = _directory.Combine("file");
        File.WriteAllText(file, "");

        var refused = Assert.Throws<HeraldStartupException>(() => DataDirectoryLock.Acquire(Path.Combine(file, "data")));

        Assert.Contains("cannot create data directory", refused.Message);
    }
}
