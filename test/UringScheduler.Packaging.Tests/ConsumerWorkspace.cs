namespace UringScheduler.Packaging.Tests;

/// <summary>
/// Every consumer project the tests run, built together against the packages with one restore and one build (the
/// consumer program of Consumer/Program.cs and each doc snippet): one MSBuild start instead of one per project.
/// </summary>
internal sealed class ConsumerWorkspace
{
    private static readonly SemaphoreSlim s_lock = new(1, 1);
    private static ConsumerWorkspace? s_instance;

    private ConsumerWorkspace(string root, LocalPackageFeed feed, ConsumerProject consumer, IReadOnlyDictionary<string, ConsumerProject> snippets, string buildOutput)
    {
        Root = root;
        Feed = feed;
        Consumer = consumer;
        Snippets = snippets;
        BuildOutput = buildOutput;
    }

    public string Root { get; }

    public LocalPackageFeed Feed { get; }

    public ConsumerProject Consumer { get; }

    /// <summary>The project of each snippet, by its location (<see cref="Snippet.ToString"/>).</summary>
    public IReadOnlyDictionary<string, ConsumerProject> Snippets { get; }

    public string BuildOutput { get; }

    public static async Task<ConsumerWorkspace> GetAsync()
    {
        await s_lock.WaitAsync();
        try
        {
            s_instance ??= await BuildAsync();
            return s_instance;
        }
        finally
        {
            s_lock.Release();
        }
    }

    public static void DeleteIfCreated()
    {
        if (s_instance is not null)
        {
            Directory.Delete(s_instance.Root, recursive: true);
        }
    }

    /// <summary>The build's lines about <paramref name="project"/>, or the whole output when none names it.</summary>
    public string BuildErrorsOf(ConsumerProject project)
    {
        string[] lines = BuildOutput.Split('\n').Where(l => l.Contains(project.Directory, StringComparison.Ordinal)).ToArray();
        return lines.Length > 0 ? string.Join('\n', lines) : BuildOutput;
    }

    private static async Task<ConsumerWorkspace> BuildAsync()
    {
        LocalPackageFeed feed = await LocalPackageFeed.GetAsync();
        string root = Directory.CreateTempSubdirectory("uring-consumers-").FullName;
        ConsumerProject.PrepareRoot(feed, root);

        string program = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Consumer", "Program.cs"));
        var consumer = ConsumerProject.Create(feed, Path.Combine(root, "Consumer"), "Consumer", program, "UringScheduler.Hosting");
        var projects = new List<ConsumerProject> { consumer };
        var snippets = new Dictionary<string, ConsumerProject>();
        foreach (Snippet snippet in MarkdownSnippets.All())
        {
            string name = $"Snippet{snippets.Count}";
            // The Garnet device's own README needs its package (and, through it, Garnet); the rest need the two others.
            string[] packages = snippet.File.Contains("UringScheduler.Tsavorite", StringComparison.Ordinal)
                ? ["UringScheduler", "UringScheduler.Tsavorite"]
                : ["UringScheduler", "UringScheduler.Hosting"];
            var project = ConsumerProject.Create(feed, Path.Combine(root, name), name, snippet.Code, packages);
            snippets[snippet.ToString()] = project;
            projects.Add(project);
        }

        string solutionPath = Path.Combine(root, "Consumers.slnx");
        await File.WriteAllTextAsync(solutionPath,
            "<Solution>\n" + string.Concat(projects.Select(p => $"  <Project Path=\"{p.Name}/{p.Name}.csproj\" />\n")) + "</Solution>\n");
        (_, string output) = await ConsumerProject.BuildAsync(feed, solutionPath);
        return new ConsumerWorkspace(root, feed, consumer, snippets, output);
    }
}
