using System.Text.RegularExpressions;

namespace UringScheduler.Tests.Architecture;

/// <summary>
/// The layer rule of docs/architecture.md, checked on the source: native, rings, operations, buffers and engines name
/// nothing of the worker, scheduling or public-API layers; they reach upward only through the narrow interfaces
/// (IOperationOwner, IEngineHost) that they define themselves. XML documentation may point a user at the public types
/// that use a lower-layer public type (a buffer pool's docs name the file APIs); code may not.
/// </summary>
public sealed partial class LayerRuleTests
{
    private static readonly string[] s_lowerLayers = ["Native", "Rings", "Operations", "Buffers", "Engines"];

    [GeneratedRegex(@"\b(UringWorker|UringRuntime|UringSynchronizationContext|UringTaskScheduler|UringRandomAccess|UringFile|UringSocket|UringListener)\b")]
    private static partial Regex HigherLayerName();

    [Test]
    public void LowerLayers_NameNoHigherLayerType()
    {
        string source = Path.Combine(FindRepositoryRoot(), "src", "UringScheduler");
        var violations = new List<string>();
        int files = 0;
        foreach (string layer in s_lowerLayers)
        {
            foreach (string file in Directory.EnumerateFiles(Path.Combine(source, layer), "*.cs", SearchOption.AllDirectories))
            {
                files++;
                string[] lines = File.ReadAllLines(file);
                for (int i = 0; i < lines.Length; i++)
                {
                    Match match = HigherLayerName().Match(lines[i]);
                    if (match.Success && !lines[i].TrimStart().StartsWith("///", StringComparison.Ordinal))
                    {
                        violations.Add($"{Path.GetRelativePath(source, file)}:{i + 1}: {match.Value}");
                    }
                }
            }
        }

        Assert.That(files, Is.GreaterThan(50), "the layer folders were not found where the rule expects them");
        Assert.That(violations, Is.Empty, "a lower layer names a higher one; pass a narrow interface down instead");
    }

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "UringScheduler.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("UringScheduler.sln not found above " + AppContext.BaseDirectory);
    }
}
