namespace UringScheduler.Bench.Cli;

/// <summary>Finds the repository root, where the default report folder <c>artifacts/bench</c> lives.</summary>
internal static class RepositoryRoot
{
    private const string Marker = "UringScheduler.sln";

    /// <summary>The nearest folder holding the solution, searching up from the current folder, then from the tool's own folder; else the current folder.</summary>
    public static string Find()
    {
        return Search(Environment.CurrentDirectory) ?? Search(AppContext.BaseDirectory) ?? Environment.CurrentDirectory;
    }

    private static string? Search(string start)
    {
        for (DirectoryInfo? folder = new(start); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, Marker)))
            {
                return folder.FullName;
            }
        }

        return null;
    }
}
