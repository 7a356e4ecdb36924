using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace UringScheduler;

public sealed partial class UringDuplexPipe
{
    /// <summary>
    /// Sends what the application flushed to <see cref="Output"/>, one ring send per buffer, until the application
    /// completes it (then shuts the send side down) or a send fails (then the application's next flush throws).
    /// </summary>
    private async Task SendLoopAsync()
    {
        PipeReader reader = _output.Reader;
        Exception? error = null;
        try
        {
            while (true)
            {
                ReadResult result;
                try
                {
                    result = await reader.ReadAsync();
                }
                catch
                {
                    // The application completed Output with an exception: what it had not sent is dropped.
                    break;
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                if (buffer.IsSingleSegment)
                {
                    await _socket.SendAsync(buffer.First);
                }
                else
                {
                    foreach (ReadOnlyMemory<byte> segment in buffer)
                    {
                        await _socket.SendAsync(segment);
                    }
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }

            ShutdownSend();
        }
        catch (Exception e)
        {
            error = e;
        }

        reader.Complete(error);
    }

    private void ShutdownSend()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            // Disposed, or the connection is gone already: there is no send side left to shut.
        }
    }
}
