namespace Herald.TestKit;

/// <summary>
/// A fresh, empty directory on the real disk, <c>herald-test-&lt;random&gt;</c> under the system temp directory,
/// deleted with everything in it on dispose. One per test; dispose it in the test's cleanup. Thread-safe.
/// </summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "herald-test-" + Guid.NewGuid().ToString("N")[..16]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>A path inside the directory; nothing is created.</summary>
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A child process may still hold a file; a leftover temp directory must not fail the test.
        }
        catch (UnauthorizedAccessException)
        {
            // Same: cleanup is best effort.
        }
    }
}
