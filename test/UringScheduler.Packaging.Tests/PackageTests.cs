using System.IO.Compression;
using System.Xml.Linq;

namespace UringScheduler.Packaging.Tests;

/// <summary>The packages as a consumer gets them: their metadata, their files, and a program built from them.</summary>
[TestFixture]
public sealed class PackageTests
{
    [TestCase("UringScheduler")]
    [TestCase("UringScheduler.Hosting")]
    [TestCase("UringScheduler.Tsavorite")]
    public async Task Package_HasTheMetadataAndFilesAConsumerNeeds(string id)
    {
        LocalPackageFeed feed = await LocalPackageFeed.GetAsync();
        using ZipArchive package = ZipFile.OpenRead(feed.PackagePath(id));
        XElement metadata = ReadNuspec(package).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value ?? "";
        XElement Element(string name) => metadata.Elements().Single(e => e.Name.LocalName == name);
        string[] files = package.Entries.Select(e => e.FullName).ToArray();

        Assert.Multiple(() =>
        {
            Assert.That(Value("id"), Is.EqualTo(id));
            Assert.That(Value("version"), Is.EqualTo(feed.Version));
            Assert.That(Value("authors"), Is.EqualTo("UringScheduler contributors"));
            Assert.That(Value("description"), Has.Length.GreaterThan(50));
            Assert.That(Value("tags"), Does.Contain("io_uring"));
            Assert.That(Element("license").Attribute("type")?.Value, Is.EqualTo("expression"));
            Assert.That(Value("license"), Is.EqualTo("MIT"));
            Assert.That(Value("readme"), Is.EqualTo("PACKAGE.md"));
            Assert.That(Element("repository").Attribute("type")?.Value, Is.EqualTo("git"));
            Assert.That(files, Does.Contain("PACKAGE.md").And.Contain("LICENSE"));
            Assert.That(files, Does.Contain($"lib/net10.0/{id}.dll").And.Contain($"lib/net10.0/{id}.xml"), "assembly and XML docs");
        });

        string[] dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(e => $"{e.Attribute("id")!.Value} {e.Attribute("version")!.Value}").ToArray();
        if (id == "UringScheduler")
        {
            Assert.That(dependencies, Does.Contain("Mono.Posix.NETStandard 1.0.0"));
            Assert.That(files, Does.Contain("buildTransitive/UringScheduler.targets"));
        }
        else
        {
            Assert.That(dependencies, Does.Contain($"UringScheduler {feed.Version}"), "the other packages need the same core version");
        }

        if (id == "UringScheduler.Tsavorite")
        {
            Assert.That(dependencies, Does.Contain("Microsoft.Garnet 2.2.8"), "the device is built against one Garnet version");
        }

        using ZipArchive symbols = ZipFile.OpenRead(feed.PackagePath(id, ".snupkg"));
        Assert.That(symbols.Entries.Select(e => e.FullName), Does.Contain($"lib/net10.0/{id}.pdb"));
    }

    [Test]
    public async Task Consumer_RestoredFromThePackages_ReadsOnAWorker_AndRunsAPerCoreService()
    {
        ConsumerWorkspace workspace = await ConsumerWorkspace.GetAsync();
        LocalPackageFeed feed = workspace.Feed;
        ConsumerProject consumer = workspace.Consumer;
        Assert.That(consumer.IsBuilt, Is.True, $"the consumer project did not build:\n{workspace.BuildErrorsOf(consumer)}");

        (int exitCode, string output) = await consumer.RunAsync();
        await TestContext.Out.WriteLineAsync(output);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Zero, output);
            Assert.That(output, Does.Match(@"read 4096 bytes of 11 on worker 1, backend (IoUring|Fallback)"));
            Assert.That(output, Does.Contain("per-core: worker 0 read 4096 bytes of 10, stayed on its worker: True"));
            Assert.That(output, Does.Contain("per-core: worker 1 read 4096 bytes of 11, stayed on its worker: True"));
            Assert.That(output, Does.Contain("consumer: done"));
        });

        // The packages came from the feed, extracted into the test's own packages folder, at the test's version.
        Assert.That(Directory.Exists(Path.Combine(feed.PackagesFolder, "uringscheduler", feed.Version)), Is.True);
        Assert.That(Directory.Exists(Path.Combine(feed.PackagesFolder, "uringscheduler.hosting", feed.Version)), Is.True);

        // Mono.Posix.NETStandard's native helpers: only the Linux runtimes the library runs on.
        string runtimesDirectory = Path.Combine(consumer.OutputDirectory, "runtimes");
        string[] posixRuntimes = Directory.GetFiles(runtimesDirectory, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f).Contains("MonoPosix", StringComparison.Ordinal) || Path.GetFileName(f).StartsWith("Mono.Posix", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(runtimesDirectory, f).Split('/')[0])
            .Distinct()
            .ToArray();
        Assert.That(posixRuntimes, Is.EquivalentTo(new[] { "linux-x64", "linux-arm64" }));
        Assert.That(File.Exists(Path.Combine(consumer.OutputDirectory, "runtimes", "linux-x64", "native", "libMonoPosixHelper.so")), Is.True);
    }

    private static XDocument ReadNuspec(ZipArchive package)
    {
        ZipArchiveEntry nuspec = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using Stream stream = nuspec.Open();
        return XDocument.Load(stream);
    }
}
