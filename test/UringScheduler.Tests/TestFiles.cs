using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Tests;

/// <summary>Temporary files for tests, all under the system's temporary folder with a unique name.</summary>
internal static class TestFiles
{
    /// <summary>A path that does not exist yet.</summary>
    public static string NewPath(string prefix = "uring-test") => Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");

    /// <summary>A file of <paramref name="size"/> random bytes; the caller deletes it.</summary>
    public static string CreateRandom(int size, out byte[] content)
    {
        string path = NewPath();
        content = new byte[size];
        Random.Shared.NextBytes(content);
        File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>A read-write temporary file, deleted when the handle closes.</summary>
    public static SafeFileHandle CreateDeleteOnClose() =>
        File.OpenHandle(NewPath(), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose);
}
