using System.Net.Sockets;
using UringKv.Commands;
using UringKv.Protocol;
using UringKv.Transport;

namespace UringKv.Server;

/// <summary>
/// One client connection, served by the worker that accepted it. It receives, runs every complete request in the
/// buffer (up to <see cref="MaxPendingReplies"/> at a time, each started before any is awaited, so a pipeline's
/// requests to different shards run in parallel), then writes their replies in request order, sending in batches.
/// It reads no more from the client until those replies are out: a client that sends faster than it reads is held
/// back by TCP, not buffered here.
/// </summary>
internal sealed class ClientConnection
{
    /// <summary>Requests started before their replies are written.</summary>
    public const int MaxPendingReplies = 1024;

    private const int InitialBufferSize = 16 * 1024;

    private readonly IKvConnection _transport;
    private readonly CommandDispatcher _dispatcher;
    private readonly RespParser _parser = new();
    private readonly RespWriter _writer = new();
    private readonly Queue<ValueTask<Reply>> _pending = new();
    private byte[] _input = new byte[InitialBufferSize];
    private int _start;
    private int _end;
    private int _needed;

    public ClientConnection(IKvConnection transport, CommandDispatcher dispatcher, ClientState client)
    {
        _transport = transport;
        _dispatcher = dispatcher;
        Client = client;
    }

    public ClientState Client { get; }

    /// <summary>Serves the connection until the client leaves, breaks the protocol, or <paramref name="stoppingToken"/> fires.</summary>
    /// <remarks>
    /// One async method for the whole life of the connection: its state machine is allocated once, at the first wait,
    /// and reused by every receive, reply and send after it.
    /// </remarks>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                // Runs the complete requests in the buffer and writes their replies, a bounded number at a time.
                Started started;
                do
                {
                    started = StartRequests();
                    while (_pending.Count > 0)
                    {
                        ValueTask<Reply> next = _pending.Dequeue();
                        if (!next.IsCompleted && _writer.Length > 0)
                        {
                            // Send what is ready rather than hold it behind a reply that waits (for a disk read, an
                            // fsync, or another shard).
                            await _transport.SendAsync(_writer.WrittenMemory, CancellationToken.None);
                            _writer.Clear();
                        }

                        Reply reply;
                        try
                        {
                            reply = await next;
                        }
                        catch (Exception e)
                        {
                            reply = Reply.FromError($"ERR {e.Message}");
                        }

                        reply.WriteTo(_writer);
                        if (_writer.Length >= RespWriter.FlushThreshold)
                        {
                            await _transport.SendAsync(_writer.WrittenMemory, CancellationToken.None);
                            _writer.Clear();
                        }
                    }

                    if (_writer.Length > 0)
                    {
                        await _transport.SendAsync(_writer.WrittenMemory, CancellationToken.None);
                        _writer.Clear();
                    }

                    if (started == Started.Close)
                    {
                        return;
                    }
                }
                while (started == Started.More);

                PrepareReceive();
                int received = await _transport.ReceiveAsync(_input.AsMemory(_end), stoppingToken);
                if (received == 0)
                {
                    break;
                }

                _end += received;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            // The client left, or the server is stopping: nothing to tell anyone.
        }
        finally
        {
            _transport.Dispose();
        }
    }

    /// <summary>Closes the connection at once (shutdown of a client that does not read its replies).</summary>
    public void Abort() => _transport.Dispose();

    // Starts the complete requests in the buffer, up to MaxPendingReplies, queueing their replies.
    private Started StartRequests()
    {
        int started = 0;
        while (true)
        {
            if (started == MaxPendingReplies)
            {
                return Started.More;
            }

            ParseStatus status = _parser.TryParse(_input.AsSpan(_start, _end - _start), out int consumed, out int needed);
            if (status == ParseStatus.Incomplete)
            {
                _needed = needed;
                return Started.All;
            }

            if (status == ParseStatus.Error)
            {
                // As Redis: the error is the last reply, then the connection is closed.
                _pending.Enqueue(new ValueTask<Reply>(Reply.FromError("ERR Protocol error: " + _parser.Error)));
                return Started.Close;
            }

            ValueTask<Reply> reply;
            try
            {
                reply = _dispatcher.Execute(new CommandArgs(_parser, _input.AsSpan(_start, consumed)), Client);
            }
            catch (Exception e)
            {
                reply = new ValueTask<Reply>(Reply.FromError($"ERR {e.Message}"));
            }

            _start += consumed;
            _pending.Enqueue(reply);
            started++;
            if (Client.CloseAfterReply)
            {
                return Started.Close;
            }
        }
    }

    // Makes room for the next receive: at least what the request being parsed needs (its declared lengths were
    // checked against the limits by the parser), and more than is buffered.
    private void PrepareReceive()
    {
        int buffered = _end - _start;
        if (buffered == 0)
        {
            _start = 0;
            _end = 0;
            _needed = 0;
            if (_input.Length > InitialBufferSize)
            {
                _input = new byte[InitialBufferSize]; // a large request is over: do not keep its buffer
            }
        }

        int required = Math.Max(_needed, buffered + 1);
        if (_input.Length - _start >= required && _end < _input.Length)
        {
            return;
        }

        if (_input.Length < required)
        {
            int size = (int)Math.Min(Math.Max(required, 2L * _input.Length), RespLimits.MaxRequestBytes + (long)InitialBufferSize);
            byte[] larger = new byte[Math.Max(size, required)];
            _input.AsSpan(_start, buffered).CopyTo(larger);
            _input = larger;
        }
        else
        {
            _input.AsSpan(_start, buffered).CopyTo(_input);
        }

        _start = 0;
        _end = buffered;
    }

    private enum Started
    {
        /// <summary>Every complete request in the buffer is started.</summary>
        All,

        /// <summary>More complete requests wait in the buffer.</summary>
        More,

        /// <summary>The connection closes once the replies are written.</summary>
        Close,
    }
}
