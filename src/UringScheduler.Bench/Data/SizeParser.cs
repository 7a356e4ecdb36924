using System.Globalization;

namespace UringScheduler.Bench.Data;

/// <summary>Parses and formats byte sizes written the way people type them: <c>4096</c>, <c>64K</c>, <c>256M</c>, <c>1G</c>.</summary>
/// <remarks>Suffixes are binary (K = 1024) and case-insensitive; an optional trailing <c>B</c> or <c>iB</c> is accepted.</remarks>
internal static class SizeParser
{
    /// <summary>Parses <paramref name="text"/>; returns false (never throws) when it is not a positive size.</summary>
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        ReadOnlySpan<char> s = text.AsSpan().Trim();
        // "64KiB", "64KB" and "64B" all end in a unit marker that adds nothing: drop it.
        if (s.EndsWith("iB", StringComparison.OrdinalIgnoreCase))
        {
            s = s[..^2];
        }
        else if (s.EndsWith("B", StringComparison.OrdinalIgnoreCase))
        {
            s = s[..^1];
        }

        int shift = 0;
        if (s.Length > 0 && char.IsLetter(s[^1]))
        {
            shift = char.ToUpperInvariant(s[^1]) switch
            {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => -1,
            };
            if (shift < 0)
            {
                return false;
            }

            s = s[..^1];
        }

        if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value <= 0)
        {
            return false;
        }

        if (value > (long.MaxValue >> shift))
        {
            return false;
        }

        bytes = value << shift;
        return true;
    }

    /// <summary>The shortest exact form: <c>128M</c> for 134217728, <c>1000</c> for 1000.</summary>
    public static string Format(long bytes)
    {
        ReadOnlySpan<(int Shift, char Suffix)> units = [(40, 'T'), (30, 'G'), (20, 'M'), (10, 'K')];
        foreach ((int shift, char suffix) in units)
        {
            long unit = 1L << shift;
            if (bytes >= unit && bytes % unit == 0)
            {
                return (bytes / unit).ToString(CultureInfo.InvariantCulture) + suffix;
            }
        }

        return bytes.ToString(CultureInfo.InvariantCulture);
    }
}
