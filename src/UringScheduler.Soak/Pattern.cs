using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace UringScheduler.Soak;

/// <summary>
/// The checkable content of every byte the soak writes or expects: byte <c>o</c> of a stream (a data file, a scratch
/// write, a connection) with key <c>k</c> is byte <c>o % 8</c> (little endian) of a 64-bit mix of <c>k</c> and <c>o / 8</c>.
/// Any range can be filled and checked knowing only its key and its offset.
/// </summary>
internal static class Pattern
{
    public static ulong Word(ulong key, long wordIndex)
    {
        // splitmix64's finalizer over the key and the word's index.
        ulong z = (key * 0x9E3779B97F4A7C15UL) + (ulong)wordIndex + 0x632BE59BD9B4E019UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public static byte At(ulong key, long offset) => (byte)(Word(key, offset >> 3) >> (int)((offset & 7) * 8));

    /// <summary>A key for a generation of a scratch region, different from every data file's key.</summary>
    public static ulong RegionKey(int region, long generation) => Word(0xC0FFEE00UL + (ulong)region, generation) | 1UL << 63;

    public static void Fill(Span<byte> destination, ulong key, long offset)
    {
        int i = 0;
        while (i < destination.Length && ((offset + i) & 7) != 0)
        {
            destination[i] = At(key, offset + i);
            i++;
        }

        Span<byte> aligned = destination[i..];
        int words = aligned.Length / 8;
        Span<ulong> asWords = MemoryMarshal.Cast<byte, ulong>(aligned[..(words * 8)]);
        long firstWord = (offset + i) >> 3;
        for (int w = 0; w < asWords.Length; w++)
        {
            asWords[w] = BitConverter.IsLittleEndian ? Word(key, firstWord + w) : BinaryPrimitives.ReverseEndianness(Word(key, firstWord + w));
        }

        for (int j = i + (words * 8); j < destination.Length; j++)
        {
            destination[j] = At(key, offset + j);
        }
    }

    /// <summary>The index of the first byte of <paramref name="data"/> that is not the pattern at <paramref name="offset"/>, or -1.</summary>
    public static int FirstMismatch(ReadOnlySpan<byte> data, ulong key, long offset)
    {
        int i = 0;
        while (i < data.Length && ((offset + i) & 7) != 0)
        {
            if (data[i] != At(key, offset + i))
            {
                return i;
            }

            i++;
        }

        ReadOnlySpan<byte> aligned = data[i..];
        int words = aligned.Length / 8;
        ReadOnlySpan<ulong> asWords = MemoryMarshal.Cast<byte, ulong>(aligned[..(words * 8)]);
        long firstWord = (offset + i) >> 3;
        for (int w = 0; w < asWords.Length; w++)
        {
            ulong expected = BitConverter.IsLittleEndian ? Word(key, firstWord + w) : BinaryPrimitives.ReverseEndianness(Word(key, firstWord + w));
            if (asWords[w] != expected)
            {
                for (int b = 0; b < 8; b++)
                {
                    int index = i + (w * 8) + b;
                    if (data[index] != At(key, offset + index))
                    {
                        return index;
                    }
                }
            }
        }

        for (int j = i + (words * 8); j < data.Length; j++)
        {
            if (data[j] != At(key, offset + j))
            {
                return j;
            }
        }

        return -1;
    }
}
