using System.Buffers.Binary;

namespace UringScheduler.Bench.Data;

/// <summary>
/// The content of every data block: each 8-byte word is a hash of (file index, block index, word index), so any block
/// read from anywhere can be checked without a reference copy, and a block from the wrong place does not pass.
/// </summary>
internal static class Pattern
{
    /// <summary>Bumped whenever the pattern changes, so old data sets are regenerated instead of failing verification.</summary>
    public const int Version = 1;

    /// <summary>The expected value of one word.</summary>
    public static ulong Word(int fileIndex, long blockIndex, int wordIndex) =>
        Mix(BlockKey(fileIndex, blockIndex) + ((ulong)wordIndex * 0x9E3779B97F4A7C15UL));

    /// <summary>Fills <paramref name="block"/> (a whole block, a multiple of 8 bytes) with its pattern.</summary>
    public static void Fill(Span<byte> block, int fileIndex, long blockIndex)
    {
        ulong key = BlockKey(fileIndex, blockIndex);
        int words = block.Length / sizeof(ulong);
        for (int i = 0; i < words; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(block.Slice(i * sizeof(ulong)), Mix(key + ((ulong)i * 0x9E3779B97F4A7C15UL)));
        }
    }

    /// <summary>
    /// Checks five words spread over the block (first, last and three between). Cheap enough to run on every read
    /// (a few nanoseconds) while still catching a wrong, shifted, zeroed or torn block.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> block, int fileIndex, long blockIndex)
    {
        int words = block.Length / sizeof(ulong);
        if (words == 0)
        {
            return false;
        }

        ulong key = BlockKey(fileIndex, blockIndex);
        int last = words - 1;
        return Check(block, key, 0)
            && Check(block, key, last / 4)
            && Check(block, key, last / 2)
            && Check(block, key, last - (last / 4))
            && Check(block, key, last);
    }

    private static bool Check(ReadOnlySpan<byte> block, ulong key, int wordIndex) =>
        BinaryPrimitives.ReadUInt64LittleEndian(block.Slice(wordIndex * sizeof(ulong))) == Mix(key + ((ulong)wordIndex * 0x9E3779B97F4A7C15UL));

    private static ulong BlockKey(int fileIndex, long blockIndex) =>
        Mix(((ulong)(uint)fileIndex << 44) ^ (ulong)blockIndex ^ 0x5EED_0F_B10C_0000UL);

    // SplitMix64's finalizer: a full-avalanche 64-bit mix, so neighbouring (file, block, word) give unrelated words.
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
