namespace UringScheduler.Bench.Methods;

/// <summary>
/// xorshift64* in a struct: one per loop, no allocation, no shared state, a few instructions per draw. Statistical
/// quality is ample for picking random blocks; <see cref="Random"/> would cost a virtual call and more state.
/// </summary>
internal struct FastRandom
{
    private ulong _state;

    public FastRandom(ulong seed)
    {
        // Spread small seeds (loop indexes) over the state and never start at zero, xorshift's fixed point.
        _state = (seed * 0x9E3779B97F4A7C15UL) | 1;
    }

    public ulong Next()
    {
        ulong x = _state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        _state = x;
        return x * 0x2545F4914F6CDD1DUL;
    }

    /// <summary>Uniform in [0, <paramref name="bound"/>) by a 64×64→128 multiply (Lemire), bias below 2^-40 here.</summary>
    public long NextBelow(long bound) => (long)Math.BigMul(Next(), (ulong)bound, out _);
}
