using System.Threading.Tasks.Sources;
using UringKv.Protocol;
using UringKv.Storage;

namespace UringKv.Server;

/// <summary>
/// A single-key request forwarded to another shard, without allocating: request objects and the buffers that carry
/// the key and value are pooled per thread. One is rented on the connection's worker, runs on the owner's worker,
/// and goes back to the pool of the connection's worker when the connection takes its result.
/// </summary>
/// <remarks>
/// From a worker, the request travels in the batch its worker sends the owner at the end of the turn, and its reply
/// comes back the same way, in the batch the owner sends back: the result is set on the connection's worker, where
/// the awaiting code then resumes inline. From any other thread, the request is posted on its own and its result set
/// on the owner's worker, the continuation going through the awaiting code's context.
/// </remarks>
internal sealed class KeyedRequest : ForwardedWork, IValueTaskSource<Reply>
{
    /// <summary>Runs a request posted on its own (from a thread that is no worker).</summary>
    public static readonly SendOrPostCallback RunPosted = static s => ((KeyedRequest)s!).Execute();

    private const int PoolLimit = 1024;
    private const int KeptBufferSize = 4096;

    [ThreadStatic]
    private static Stack<KeyedRequest>? t_pool;

    private readonly Action _onPendingCompleted;
    private ManualResetValueTaskSourceCore<Reply> _core;
    private byte[] _key = new byte[64];
    private byte[] _value = new byte[64];
    private int _keyLength;
    private int _valueLength;
    private long _number;
    private ShardStore? _store;
    private KeyOperation? _operation;
    private ValueTask<Reply> _pending;
    private WorkerOutbox? _replyOutbox;
    private int _origin;
    private bool _replied;
    private Reply _reply;
    private Exception? _error;

    private KeyedRequest()
    {
        _onPendingCompleted = OnPendingCompleted;
    }

    /// <summary>
    /// A request from this thread's pool, with copies of the arguments. With <paramref name="replyOutbox"/> (the
    /// owner's outbox), the reply goes back in a batch to worker <paramref name="origin"/>, which must be this thread.
    /// </summary>
    public static KeyedRequest Rent(ShardStore store, KeyOperation operation, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long number, WorkerOutbox? replyOutbox, int origin)
    {
        KeyedRequest request = t_pool is { Count: > 0 } pool ? pool.Pop() : new KeyedRequest();
        request._store = store;
        request._operation = operation;
        request._number = number;
        request._keyLength = Copy(key, ref request._key);
        request._valueLength = Copy(value, ref request._value);
        request._replyOutbox = replyOutbox;
        request._origin = origin;
        request._core.RunContinuationsAsynchronously = replyOutbox is null;
        return request;
    }

    public ValueTask<Reply> AsValueTask() => new(this, _core.Version);

    private static int Copy(ReadOnlySpan<byte> source, ref byte[] buffer)
    {
        if (buffer.Length < source.Length)
        {
            buffer = new byte[Math.Max(source.Length, 2 * buffer.Length)];
        }

        source.CopyTo(buffer);
        return source.Length;
    }

    /// <inheritdoc/>
    public override void Run()
    {
        if (_replied)
        {
            Deliver();
        }
        else
        {
            Execute();
        }
    }

    // On the owner's worker.
    private void Execute()
    {
        ShardStore store = _store!;
        store.Statistics.ForwardedIn++;
        try
        {
            ValueTask<Reply> result = _operation!(store, _key.AsSpan(0, _keyLength), _value.AsSpan(0, _valueLength), _number);
            if (result.IsCompleted)
            {
                Complete(result);
            }
            else
            {
                // Resumes on the owner's worker (the awaiter captures its context): the reply leaves from there.
                _pending = result;
                result.GetAwaiter().UnsafeOnCompleted(_onPendingCompleted);
            }
        }
        catch (Exception e)
        {
            Complete(e);
        }
    }

    private void OnPendingCompleted()
    {
        ValueTask<Reply> result = _pending;
        _pending = default;
        Complete(result);
    }

    private void Complete(ValueTask<Reply> result)
    {
        Reply reply;
        try
        {
            reply = result.Result;
        }
        catch (Exception e)
        {
            Complete(e);
            return;
        }

        if (_replyOutbox is WorkerOutbox outbox)
        {
            _reply = reply;
            _replied = true;
            outbox.Send(_origin, this);
        }
        else
        {
            // The last touch of the owner's side: once the result is set, the request belongs to the connection again.
            _core.SetResult(reply);
        }
    }

    private void Complete(Exception error)
    {
        if (_replyOutbox is WorkerOutbox outbox)
        {
            _error = error;
            _replied = true;
            outbox.Send(_origin, this);
        }
        else
        {
            _core.SetException(error);
        }
    }

    // Back on the connection's worker: the awaiting code resumes inline, and may return the request to the pool.
    private void Deliver()
    {
        if (_error is Exception error)
        {
            _core.SetException(error);
        }
        else
        {
            _core.SetResult(_reply);
        }
    }

    public Reply GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Return();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        if (_replyOutbox is not null)
        {
            // The result is set on the awaiting worker itself: no need to post the continuation to its context.
            flags &= ~ValueTaskSourceOnCompletedFlags.UseSchedulingContext;
        }

        _core.OnCompleted(continuation, state, token, flags);
    }

    private void Return()
    {
        _core.Reset();
        _store = null;
        _operation = null;
        _replyOutbox = null;
        _replied = false;
        _reply = default;
        _error = null;
        if (_key.Length > KeptBufferSize)
        {
            _key = new byte[64];
        }

        if (_value.Length > KeptBufferSize)
        {
            _value = new byte[64];
        }

        Stack<KeyedRequest> pool = t_pool ??= new Stack<KeyedRequest>();
        if (pool.Count < PoolLimit)
        {
            pool.Push(this);
        }
    }
}
