namespace UringScheduler;

/// <summary>
/// A class of file I/O with a weight (<see cref="Shares"/>). When a device's operations in flight reach its capacity,
/// each worker serves the operations it has queued by start-time fair queuing on their cost: over time a class gets
/// device time in proportion to its shares, and a class alone on the device may use all of it.
/// </summary>
/// <remarks>
/// Give a <see cref="UringFile"/> its class with <see cref="UringFileOptions.IoClass"/> or <see cref="UringFile.IoClass"/>,
/// or pass one to the <see cref="UringRandomAccess"/> overloads that take it. Operations without a class are
/// <see cref="Foreground"/>. Classes are identified by reference; make each one once and keep it.
/// </remarks>
public sealed class UringIoClass
{
    /// <summary>At most this many classes can be made in one process (the two built-in ones included).</summary>
    public const int MaxClasses = 64;

    private static readonly UringIoClass?[] s_byId = new UringIoClass?[MaxClasses];
    private static int s_count;

    /// <summary>Makes a class.</summary>
    /// <param name="name">The name in metrics and logs (the <c>class</c> tag of the <c>uring.io.*</c> instruments).</param>
    /// <param name="shares">The weight, 1 to 10,000: a class with twice the shares of another gets twice its device time when both wait.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shares"/> is outside 1 to 10,000.</exception>
    /// <exception cref="InvalidOperationException">The process already made <see cref="MaxClasses"/> classes.</exception>
    public UringIoClass(string name, int shares)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(shares, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shares, 10_000);
        int id = Interlocked.Increment(ref s_count) - 1;
        if (id >= MaxClasses)
        {
            throw new InvalidOperationException($"At most {MaxClasses} I/O classes can be made in a process; make each class once and reuse it.");
        }

        Name = name;
        Shares = shares;
        Id = id;
        Volatile.Write(ref s_byId[id], this);
    }

    /// <summary>Requests a user waits for: 1,000 shares. The class of every operation that names none.</summary>
    public static UringIoClass Foreground { get; } = new("foreground", 1000);

    /// <summary>Work nobody waits for (compaction, streaming writes, scrubbing): 100 shares.</summary>
    public static UringIoClass Background { get; } = new("background", 100);

    /// <summary>The name in metrics and logs.</summary>
    public string Name { get; }

    /// <summary>The weight, 1 to 10,000.</summary>
    public int Shares { get; }

    /// <summary>Dense index of the class in the process, for per-class arrays.</summary>
    internal int Id { get; }

    /// <summary>The class numbered <paramref name="id"/>, or null.</summary>
    internal static UringIoClass? FromId(int id) => (uint)id < MaxClasses ? Volatile.Read(ref s_byId[id]) : null;

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Shares} shares)";
}
