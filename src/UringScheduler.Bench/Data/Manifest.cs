using System.Text.Json;
using System.Text.Json.Serialization;

namespace UringScheduler.Bench.Data;

/// <summary>
/// The small file written last into a data folder, after every data file is written and fsynced: its presence (with
/// matching fields) is what makes the folder valid, so an interrupted generation is never mistaken for a complete one.
/// </summary>
internal sealed class Manifest
{
    public const string FileName = "uring-bench-manifest.json";

    private const string FormatName = "uring-bench-data";

    [JsonPropertyName("format")]
    public string Format { get; set; } = FormatName;

    [JsonPropertyName("pattern_version")]
    public int PatternVersion { get; set; }

    [JsonPropertyName("files")]
    public int Files { get; set; }

    [JsonPropertyName("file_size")]
    public long FileSize { get; set; }

    [JsonPropertyName("block_size")]
    public int BlockSize { get; set; }

    [JsonPropertyName("file_names")]
    public List<string> FileNames { get; set; } = [];

    [JsonPropertyName("created_utc")]
    public DateTime CreatedUtc { get; set; }

    public static Manifest For(DataSetSpec spec) => new()
    {
        PatternVersion = Pattern.Version,
        Files = spec.FileCount,
        FileSize = spec.FileSize,
        BlockSize = spec.BlockSize,
        FileNames = Enumerable.Range(0, spec.FileCount).Select(DataSetSpec.FileName).ToList(),
        CreatedUtc = DateTime.UtcNow,
    };

    /// <summary>Reads the manifest of <paramref name="directory"/>; null when absent or unreadable.</summary>
    public static Manifest? TryRead(string directory)
    {
        string path = Path.Combine(directory, FileName);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<Manifest>(File.ReadAllText(path)) : null;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>True when this manifest describes <paramref name="spec"/> and every file it names is there at full size.</summary>
    public bool Matches(DataSetSpec spec)
    {
        if (Format != FormatName || PatternVersion != Pattern.Version || Files != spec.FileCount
            || FileSize != spec.FileSize || BlockSize != spec.BlockSize || FileNames.Count != spec.FileCount)
        {
            return false;
        }

        for (int i = 0; i < spec.FileCount; i++)
        {
            FileInfo file = new(Path.Combine(spec.Directory, FileNames[i]));
            if (FileNames[i] != DataSetSpec.FileName(i) || !file.Exists || file.Length != spec.FileSize)
            {
                return false;
            }
        }

        return true;
    }

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true });
}
