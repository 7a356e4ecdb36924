using System.Numerics;

namespace UringScheduler.Bench.Measurement;

/// <summary>
/// Log-scale latency buckets for the per-second heatmap: four per power of two (quarter octaves) from
/// 2^<see cref="MinOctave"/> ns to 2^(<see cref="MaxOctave"/>+1) ns. Computed with a bit scan, no floating point, so
/// bucketing costs nothing next to even a no-op.
/// </summary>
internal static class LatencyBuckets
{
    public const int MinOctave = 5;     // 32 ns: below that everything lands in bucket 0

    public const int MaxOctave = 35;    // ~34 s: above that everything lands in the last bucket

    public const int PerOctave = 4;

    public const int Count = (MaxOctave - MinOctave + 1) * PerOctave;

    public static int Of(long nanoseconds)
    {
        if (nanoseconds < (1L << MinOctave))
        {
            return 0;
        }

        int octave = BitOperations.Log2((ulong)nanoseconds);
        if (octave > MaxOctave)
        {
            return Count - 1;
        }

        // The two bits below the leading one pick the quarter: 1.00, 1.25, 1.50, 1.75 times 2^octave.
        int quarter = (int)((nanoseconds >> (octave - 2)) & 3);
        return ((octave - MinOctave) * PerOctave) + quarter;
    }

    /// <summary>The smallest latency in ns that falls in <paramref name="bucket"/>.</summary>
    public static double LowerBound(int bucket)
    {
        int octave = MinOctave + (bucket / PerOctave);
        int quarter = bucket % PerOctave;
        return Math.Pow(2, octave) * (1 + (quarter / 4.0));
    }
}
