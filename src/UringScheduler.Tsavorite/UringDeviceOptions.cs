namespace UringScheduler.Tsavorite;

/// <summary>Settings of a <see cref="UringDevice"/> (and of every device a <see cref="UringNamedDeviceFactory"/> makes).</summary>
public sealed class UringDeviceOptions
{
    /// <summary>The throttle limit Garnet's own local devices use: at most this many operations in flight before <see cref="UringDevice.Throttle"/> says so.</summary>
    public const int DefaultThrottleLimit = 120;

    /// <summary>
    /// Open segment files with <c>O_DIRECT</c> (default true), as Garnet's own devices do: Tsavorite keeps its own page
    /// buffers, so the page cache would only hold a second copy. Where the file system refuses <c>O_DIRECT</c> (tmpfs),
    /// the device uses buffered I/O and logs it once.
    /// </summary>
    public bool Direct { get; set; } = true;

    /// <summary>Delete the segment files when the device is disposed (default false).</summary>
    public bool DeleteOnClose { get; set; }

    /// <summary>Operations in flight above which <see cref="UringDevice.Throttle"/> returns true (default <see cref="DefaultThrottleLimit"/>).</summary>
    public int ThrottleLimit { get; set; } = DefaultThrottleLimit;

    /// <summary>
    /// How long <see cref="UringDevice.Dispose"/> waits for operations in flight before it closes the files (default 5 s;
    /// closing is safe either way: a file closed under a request stays open until the kernel has completed it).
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(5);

    internal UringDeviceOptions Clone() => (UringDeviceOptions)MemberwiseClone();

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ThrottleLimit, nameof(ThrottleLimit));
        if (DrainTimeout < TimeSpan.Zero && DrainTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(DrainTimeout), DrainTimeout, "The drain timeout must be zero or positive, or Timeout.InfiniteTimeSpan.");
        }
    }
}
