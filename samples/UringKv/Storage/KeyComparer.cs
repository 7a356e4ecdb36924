using System.IO.Hashing;
using System.Diagnostics.CodeAnalysis;

namespace UringKv.Storage;

/// <summary>Compares keys by content; lookups by <see cref="ReadOnlySpan{T}"/> need no key array.</summary>
internal sealed class KeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    // A seed of its own, so that the index's hash is independent of the hash that chose the shard.
    private const long Seed = 0x5eed_0f_1dc5;

    public static KeyComparer Instance { get; } = new();

    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

    public int GetHashCode([DisallowNull] byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<byte> alternate) => (int)XxHash3.HashToUInt64(alternate, Seed);

    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}
