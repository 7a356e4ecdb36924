using System.IO.Pipelines;

namespace UringScheduler;

public sealed partial class UringDuplexPipe
{
    /// <summary>
    /// Receives into <see cref="Input"/>'s buffers until the peer's end of stream, a failure, or the application's
    /// completion of <see cref="Input"/>; the writer's flush waits while the reader is behind by the pause threshold.
    /// </summary>
    private async Task ReceiveLoopAsync()
    {
        PipeWriter writer = _input.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                Memory<byte> buffer = writer.GetMemory(_receiveSize);
                int received = await _socket.ReceiveAsync(buffer);
                if (received == 0)
                {
                    break;
                }

                writer.Advance(received);
                FlushResult result = await writer.FlushAsync();
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e)
        {
            error = e;
        }

        writer.Complete(error);
    }
}
