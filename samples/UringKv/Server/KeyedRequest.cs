using System.Threading.Tasks.Sources;
using UringKv.Protocol;
using UringKv.Storage;

namespace UringKv.Server;

/// <summary>
/// A single-key request forwarded to another shard, without allocating: request objects and the buffers that carry
/// the key and value are pooled per thread. One is rented on the connection's worker, runs on the owner's worker,
/// and goes back to the pool of the connection's worker when the connection takes its result (the awaiting code
/// resumes there, through the worker's context).
/// </summary>
internal sealed class KeyedRequest : IValueTaskSource<Reply>
{
    public static readonly SendOrPostCallback Run = static s => ((KeyedRequest)s!).Execute();

    private const int PoolLimit = 256;
    private const int KeptBufferSize = 4096;

    [ThreadStatic]
    private static Stack<KeyedRequest>? t_pool;

    private readonly Action _onPendingCompleted;
    private ManualResetValueTaskSourceCore<Reply> _core = new() { RunContinuationsAsynchronously = true };
    private byte[] _key = new byte[64];
    private byte[] _value = new byte[64];
    private int _keyLength;
    private int _valueLength;
    private long _number;
    private ShardStore? _store;
    private KeyOperation? _operation;
    private ValueTask<Reply> _pending;

    private KeyedRequest()
    {
        _onPendingCompleted = OnPendingCompleted;
    }

    /// <summary>A request from this thread's pool, with copies of the arguments.</summary>
    public static KeyedRequest Rent(ShardStore store, KeyOperation operation, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long number)
    {
        KeyedRequest request = t_pool is { Count: > 0 } pool ? pool.Pop() : new KeyedRequest();
        request._store = store;
        request._operation = operation;
        request._number = number;
        request._keyLength = Copy(key, ref request._key);
        request._valueLength = Copy(value, ref request._value);
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
                _pending = result;
                result.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onPendingCompleted);
            }
        }
        catch (Exception e)
        {
            _core.SetException(e);
        }
    }

    private void OnPendingCompleted()
    {
        ValueTask<Reply> result = _pending;
        _pending = default;
        Complete(result);
    }

    // The last touch of the owner's side: once the result is set, the request belongs to the connection again.
    private void Complete(ValueTask<Reply> result)
    {
        Reply reply;
        try
        {
            reply = result.Result;
        }
        catch (Exception e)
        {
            _core.SetException(e);
            return;
        }

        _core.SetResult(reply);
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

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Return()
    {
        _core.Reset();
        _store = null;
        _operation = null;
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
