namespace UringScheduler;

/// <summary>Options of <see cref="UringSocket.AsDuplexPipe(UringPipeOptions?)"/>.</summary>
public sealed class UringPipeOptions
{
    /// <summary>
    /// The size of each pinned buffer the pipes are made of: a receive asks for up to this many bytes, and a send hands
    /// over at most one buffer. Between 1024 and 1 MiB. Default 16 KiB.
    /// </summary>
    public int BufferSize { get; set; } = 16 * 1024;

    /// <summary>
    /// Received bytes the application has not consumed yet at which receiving pauses (the kernel's receive buffer, then
    /// TCP's window, push back on the peer); 0 never pauses. Default 64 KiB.
    /// </summary>
    public long ReceivePauseThreshold { get; set; } = 64 * 1024;

    /// <summary>Unconsumed received bytes below which a paused receive resumes. At most <see cref="ReceivePauseThreshold"/>. Default 32 KiB.</summary>
    public long ReceiveResumeThreshold { get; set; } = 32 * 1024;

    /// <summary>
    /// Bytes written to <see cref="UringDuplexPipe.Output"/> and not yet handed to the kernel at which
    /// <see cref="System.IO.Pipelines.PipeWriter.FlushAsync(CancellationToken)"/> waits; 0 never waits. Default 64 KiB.
    /// </summary>
    public long SendPauseThreshold { get; set; } = 64 * 1024;

    /// <summary>Unsent bytes below which a waiting flush completes. At most <see cref="SendPauseThreshold"/>. Default 32 KiB.</summary>
    public long SendResumeThreshold { get; set; } = 32 * 1024;

    internal const int MinimumBufferSize = 1024;

    internal const int MaximumBufferSize = 1024 * 1024;

    internal void Validate()
    {
        if (BufferSize is < MinimumBufferSize or > MaximumBufferSize)
        {
            throw new ArgumentOutOfRangeException(nameof(BufferSize), BufferSize, $"Must be between {MinimumBufferSize} and {MaximumBufferSize}.");
        }

        ValidateThresholds(ReceivePauseThreshold, ReceiveResumeThreshold, nameof(ReceivePauseThreshold), nameof(ReceiveResumeThreshold));
        ValidateThresholds(SendPauseThreshold, SendResumeThreshold, nameof(SendPauseThreshold), nameof(SendResumeThreshold));
    }

    private static void ValidateThresholds(long pause, long resume, string pauseName, string resumeName)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pause, pauseName);
        ArgumentOutOfRangeException.ThrowIfNegative(resume, resumeName);
        if (resume > pause)
        {
            throw new ArgumentOutOfRangeException(resumeName, resume, $"Must not exceed {pauseName} ({pause}).");
        }
    }
}
