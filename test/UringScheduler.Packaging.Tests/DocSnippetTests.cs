namespace UringScheduler.Packaging.Tests;

/// <summary>
/// Every C# snippet of the README and docs/*.md marked to compile is built as a program of its own against the
/// packages; those marked to run are run (see <see cref="MarkdownSnippets"/> for the markers).
/// </summary>
[TestFixture]
public sealed class DocSnippetTests
{
    private static IEnumerable<TestCaseData> Snippets() =>
        MarkdownSnippets.All().Select(s => new TestCaseData(s.ToString()).SetName($"Snippet {s}"));

    [Test]
    public void TheReadmeTaste_IsMarkedToRun()
    {
        Snippet[] readme = MarkdownSnippets.Read(Repository.PathOf("README.md")).ToArray();
        Assert.That(readme.Where(s => s.Run && s.Prints is not null), Is.Not.Empty, "the README's first example is built, run and checked");
    }

    [TestCaseSource(nameof(Snippets))]
    public async Task Snippet_Builds_AndRunsWhenMarkedTo(string location)
    {
        ConsumerWorkspace workspace = await ConsumerWorkspace.GetAsync();
        Snippet snippet = MarkdownSnippets.All().Single(s => s.ToString() == location);
        ConsumerProject project = workspace.Snippets[location];
        Assert.That(project.IsBuilt, Is.True, $"{location} did not build:\n{snippet.Code}\n{workspace.BuildErrorsOf(project)}");
        if (!snippet.Run)
        {
            return;
        }

        // Snippets may read "data.bin" from their working directory: 8 KiB, every byte 42.
        await File.WriteAllBytesAsync(Path.Combine(project.Directory, "data.bin"), Enumerable.Repeat((byte)42, 8192).ToArray());
        (int exitCode, string output) = await project.RunAsync();
        await TestContext.Out.WriteLineAsync(output);
        Assert.That(exitCode, Is.Zero, $"{location} failed:\n{output}");
        if (snippet.Prints is not null)
        {
            Assert.That(output, Does.Contain(snippet.Prints));
        }
    }
}
