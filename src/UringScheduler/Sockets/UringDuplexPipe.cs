using System.IO.Pipelines;

namespace UringScheduler;

/// <summary>
/// An <see cref="IDuplexPipe"/> over a <see cref="UringSocket"/>, for protocol code written against
/// System.IO.Pipelines: <see cref="Input"/> holds what the socket received, and what is written and flushed to
/// <see cref="Output"/> is sent. Made by <see cref="UringSocket.AsDuplexPipe(UringPipeOptions?)"/>.
/// </summary>
/// <remarks>
/// <para>
/// A receive loop and a send loop run on the socket's worker and its ring: the loop receives ahead into
/// <see cref="Input"/> while the application parses (up to <see cref="UringPipeOptions.ReceivePauseThreshold"/>
/// unconsumed bytes), and sends what was flushed while the application writes on (a flush waits once
/// <see cref="UringPipeOptions.SendPauseThreshold"/> bytes are unsent). Every continuation of the pipes runs on the
/// socket's worker: inline when the operation that completes it runs there, with no ThreadPool work item and no
/// allocation per read or write; queued to the worker otherwise. Use the pipe from code running on that worker, as a
/// connection handler of the worker that accepted the connection is.
/// </para>
/// <para>
/// The peer's end of stream completes <see cref="Input"/> (the read result's <see cref="ReadResult.IsCompleted"/>);
/// a failure of the connection, such as a reset by the peer, makes the pending and next reads throw the
/// <see cref="System.Net.Sockets.SocketException"/> (<see cref="System.Net.Sockets.SocketError.ConnectionReset"/>).
/// A failed send makes the next flush throw. Completing <see cref="Output"/> sends what was flushed and then shuts the
/// send side down (the peer reads end of stream) while receiving goes on; completed with an exception, what is not
/// sent yet is dropped before the shutdown. <see cref="PipeReader.CancelPendingRead"/>,
/// <see cref="PipeWriter.CancelPendingFlush"/> and the tokens of <see cref="PipeReader.ReadAsync(CancellationToken)"/>
/// and <see cref="PipeWriter.FlushAsync(CancellationToken)"/> behave as on any <see cref="Pipe"/>; they cancel the
/// application's wait, not the socket's requests.
/// </para>
/// </remarks>
public sealed partial class UringDuplexPipe : IDuplexPipe, IAsyncDisposable
{
    private readonly UringSocket _socket;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly int _receiveSize;
    private readonly Task _receiving;
    private readonly Task _sending;
    private int _disposed;

    internal static UringDuplexPipe Create(UringSocket socket, UringPipeOptions? options)
    {
        options ??= new UringPipeOptions();
        options.Validate();
        ObjectDisposedException.ThrowIf(((Operations.ISocketState)socket).IsDisposed, socket);
        return new UringDuplexPipe(socket, options);
    }

    private UringDuplexPipe(UringSocket socket, UringPipeOptions options)
    {
        _socket = socket;
        var scheduler = new WorkerPipeScheduler(socket.Worker);
        PinnedBlockPool pool = PinnedBlockPool.For(options.BufferSize);
        _input = new Pipe(new PipeOptions(pool, scheduler, scheduler, options.ReceivePauseThreshold, options.ReceiveResumeThreshold,
            options.BufferSize, useSynchronizationContext: false));
        _output = new Pipe(new PipeOptions(pool, scheduler, scheduler, options.SendPauseThreshold, options.SendResumeThreshold,
            options.BufferSize, useSynchronizationContext: false));

        // Receives ask for at least half a buffer: the tail of a nearly full one would make a receive of a few bytes.
        _receiveSize = options.BufferSize / 2;

        // The loops must run on the worker: their awaits then resume inline in its completion drain.
        if (socket.Worker.IsCurrentThread)
        {
            _receiving = ReceiveLoopAsync();
            _sending = SendLoopAsync();
        }
        else
        {
            _receiving = socket.Worker.RunAsync(ReceiveLoopAsync);
            _sending = socket.Worker.RunAsync(SendLoopAsync);
        }
    }

    /// <summary>What the socket received. Completed when the peer has closed its side; throws when the connection failed.</summary>
    public PipeReader Input => _input.Reader;

    /// <summary>What to send: flushed bytes go to the socket in order. Completing it shuts the send side down once they are sent.</summary>
    public PipeWriter Output => _output.Writer;

    /// <summary>The socket the pipe runs over.</summary>
    public UringSocket Socket => _socket;

    /// <summary>
    /// Completes <see cref="Input"/> and <see cref="Output"/> (if the application has not), waits until what was flushed
    /// has been handed to the kernel, then disposes the socket and waits for the receive loop to end. A peer that reads
    /// nothing can keep that wait going; disposing <see cref="Socket"/> first drops what is unsent and ends it at once.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _input.Reader.Complete();
        _output.Writer.Complete();
        await _sending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _socket.Dispose();
        await _receiving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
