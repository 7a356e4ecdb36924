namespace UringScheduler.Packaging.Tests;

/// <summary>
/// The packages, packed once per test run into a folder feed, with a version no other run uses
/// (0.1.0-test.&lt;stamp&gt;): a consumer restoring that version can only get these packages.
/// </summary>
internal sealed class LocalPackageFeed
{
    private static readonly SemaphoreSlim s_lock = new(1, 1);
    private static LocalPackageFeed? s_instance;

    private LocalPackageFeed(string directory, string version, string packagesFolder)
    {
        Directory = directory;
        Version = version;
        PackagesFolder = packagesFolder;
    }

    public static readonly string[] PackageIds = ["UringScheduler", "UringScheduler.Hosting", "UringScheduler.Tsavorite"];

    /// <summary>The folder holding the .nupkg and .snupkg files.</summary>
    public string Directory { get; }

    public string Version { get; }

    /// <summary>
    /// The consumers' own global packages folder (NUGET_PACKAGES): the test's packages are extracted there and nowhere
    /// else. The user's folder serves as a read-only fallback for everything else (Microsoft.Extensions.*).
    /// </summary>
    public string PackagesFolder { get; }

    public static string UserPackagesFolder =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    public string PackagePath(string id, string extension = ".nupkg") => Path.Combine(Directory, $"{id}.{Version}{extension}");

    public static async Task<LocalPackageFeed> GetAsync()
    {
        await s_lock.WaitAsync();
        try
        {
            s_instance ??= await PackAsync();
            return s_instance;
        }
        finally
        {
            s_lock.Release();
        }
    }

    /// <summary>Removes the feed; called once, when every test of this assembly has run.</summary>
    public static void DeleteIfCreated()
    {
        if (s_instance is not null)
        {
            System.IO.Directory.Delete(s_instance.Directory, recursive: true);
            System.IO.Directory.Delete(s_instance.PackagesFolder, recursive: true);
        }
    }

    private static async Task<LocalPackageFeed> PackAsync()
    {
        string suffix = $"test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        string directory = System.IO.Directory.CreateTempSubdirectory("uring-feed-").FullName;
        string versionPrefix = ReadVersionPrefix();
        foreach (string id in PackageIds)
        {
            // --no-build packs what the solution build produced (this project references them, so they are built).
            (int exitCode, string output) = await DotNetCli.RunAsync(Repository.Root, null, TimeSpan.FromMinutes(3),
                "pack", Repository.PathOf("src", id, id + ".csproj"), "-c", Repository.Configuration, "--no-build",
                "-nologo", "-v:minimal", "-p:VersionSuffix=" + suffix, "-o", directory);
            Assert.That(exitCode, Is.Zero, $"dotnet pack {id} failed:\n{output}");
        }

        string packagesFolder = System.IO.Directory.CreateTempSubdirectory("uring-feed-packages-").FullName;
        return new LocalPackageFeed(directory, $"{versionPrefix}-{suffix}", packagesFolder);
    }

    private static string ReadVersionPrefix()
    {
        var props = System.Xml.Linq.XDocument.Load(Repository.PathOf("Directory.Build.props"));
        return props.Descendants("VersionPrefix").Single().Value;
    }
}

[SetUpFixture]
public sealed class PackagingTestsCleanUp
{
    [OneTimeTearDown]
    public void DeleteFeed()
    {
        ConsumerWorkspace.DeleteIfCreated();
        LocalPackageFeed.DeleteIfCreated();
    }
}
