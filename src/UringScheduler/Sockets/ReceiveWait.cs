using System.Threading.Tasks.Sources;
using UringScheduler.Operations;

namespace UringScheduler;

/// <summary>
/// The awaitable a leased receive returns while no data is queued: the operation core's completion source (inline
/// resume on the worker), reused for every wait of one socket, whose result is turned into a lease when read.
/// </summary>
internal sealed class ReceiveWait(ReceiveBufferGroup group) : OperationCompletionSource, IValueTaskSource<UringReceivedBuffer>
{
    /// <summary>The result that stands for the end of the stream.</summary>
    public const long EndOfStream = -1;

    public ValueTask<UringReceivedBuffer> Task => new(this, Version);

    /// <summary>The packed result for <paramref name="length"/> bytes in buffer <paramref name="bufferId"/>.</summary>
    public static long Received(ushort bufferId, int length) => ((long)bufferId << 32) | (uint)length;

    public void Complete(long value) => SetResult(value);

    public void Fail(Exception error) => SetException(error);

    UringReceivedBuffer IValueTaskSource<UringReceivedBuffer>.GetResult(short token)
    {
        long value = GetResultCore(token);
        return value == EndOfStream ? default : new UringReceivedBuffer(group, (ushort)(value >> 32), (int)value);
    }

    protected override void OnConsumed()
    {
    }
}
