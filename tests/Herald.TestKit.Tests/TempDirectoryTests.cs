namespace Herald.TestKit.Tests;

public sealed class TempDirectoryTests
{
    [Fact]
    public void Creates_a_fresh_directory_and_deletes_it_with_its_contents_on_dispose()
    {
        string path;
        using (var first = new TempDirectory())
        using (var second = new TempDirectory())
        {
            path = first.Path;
            Assert.NotEqual(first.Path, second.Path);
            Assert.StartsWith("herald-test-", Path.GetFileName(first.Path), StringComparison.Ordinal);
            Assert.Empty(Directory.EnumerateFileSystemEntries(first.Path));
            Directory.CreateDirectory(first.Combine("sub"));
            File.WriteAllText(first.Combine("sub", "file.txt"), "x");
        }

        Assert.False(Directory.Exists(path));
    }
}
