using System.Text.RegularExpressions;

namespace UringScheduler.Packaging.Tests;

/// <summary>
/// The C# snippets of the README, docs/*.md and the packages' PACKAGE.md that are meant to compile: a fenced <c>csharp</c> block right after a
/// comment <c>&lt;!-- snippet: compile --&gt;</c> (built) or <c>&lt;!-- snippet: compile-and-run --&gt;</c> (built and run;
/// <c>, prints "TEXT"</c> after it adds a check of the output). Each is a whole program (top-level statements).
/// </summary>
internal static partial class MarkdownSnippets
{
    public static IEnumerable<Snippet> All()
    {
        var files = new List<string> { Repository.PathOf("README.md") };
        files.AddRange(Directory.GetFiles(Repository.PathOf("docs"), "*.md").Order(StringComparer.Ordinal));
        IEnumerable<Snippet> marked = files.SelectMany(f => Read(f));

        // A package README is shown on the package's page, where an HTML comment could show up as text: every C#
        // block of a PACKAGE.md is built, unmarked.
        IEnumerable<Snippet> packageReadmes = Directory.GetFiles(Repository.PathOf("src"), "PACKAGE.md", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .SelectMany(f => Read(f, everyBlock: true));
        return marked.Concat(packageReadmes);
    }

    public static IEnumerable<Snippet> Read(string path, bool everyBlock = false)
    {
        string[] lines = File.ReadAllLines(path);
        string relative = Path.GetRelativePath(Repository.Root, path);
        for (int i = 0; i < lines.Length; i++)
        {
            int fence;
            bool run = false;
            string? prints = null;
            if (everyBlock && lines[i].Trim() == "```csharp")
            {
                fence = i;
            }
            else if (Marker().Match(lines[i]) is { Success: true } marker)
            {
                run = marker.Groups["mode"].Value == "compile-and-run";
                prints = marker.Groups["prints"].Success ? marker.Groups["prints"].Value : null;
                fence = i + 1;
                while (fence < lines.Length && lines[fence].Trim().Length == 0)
                {
                    fence++;
                }

                if (fence >= lines.Length || lines[fence].Trim() != "```csharp")
                {
                    throw new InvalidDataException($"{relative}:{i + 1}: a snippet marker must be followed by a ```csharp block");
                }
            }
            else
            {
                continue;
            }

            int end = Array.FindIndex(lines, fence + 1, l => l.Trim() == "```");
            if (end < 0)
            {
                throw new InvalidDataException($"{relative}:{fence + 1}: the ```csharp block is not closed");
            }

            string code = string.Join('\n', lines[(fence + 1)..end]) + "\n";
            yield return new Snippet(relative, fence + 1, code, run, prints);
            i = end;
        }
    }

    [GeneratedRegex("""^\s*<!-- snippet: (?<mode>compile|compile-and-run)(, prints "(?<prints>[^"]+)")? -->\s*$""")]
    private static partial Regex Marker();
}

/// <summary>One snippet: where it is (file and line of its fence), its code, and what to do with it.</summary>
internal sealed record Snippet(string File, int Line, string Code, bool Run, string? Prints)
{
    public override string ToString() => $"{File}:{Line}";
}
