using System.IO.Hashing;
using UringKv.Protocol;
using UringKv.Storage;
using UringScheduler;

namespace UringKv.Server;

/// <summary>
/// The shards, one per worker (shard i lives on worker i), and the message passing between them: a request for a
/// key of another shard runs on that shard's worker, and its result comes back to the worker that asked (the
/// <c>submit_to</c> of Seastar). From a worker, requests and replies travel in batches, one per pair of workers and
/// loop turn (<see cref="WorkerOutbox"/>). Work between two workers keeps its order, so the requests one connection
/// sends to one shard run in the order it sent them.
/// </summary>
internal sealed class ShardSet
{
    private readonly ShardStore?[] _stores;
    private readonly IReadOnlyList<UringWorker> _workers;
    private readonly WorkerOutbox[] _outboxes;

    public ShardSet(IReadOnlyList<UringWorker> workers)
    {
        _workers = workers;
        _stores = new ShardStore?[workers.Count];
        _outboxes = new WorkerOutbox[workers.Count];
        for (int i = 0; i < workers.Count; i++)
        {
            _outboxes[i] = new WorkerOutbox(workers[i], workers);
        }
    }

    public int Count => _stores.Length;

    public ShardStore this[int shard] => _stores[shard] ?? throw new InvalidOperationException($"shard {shard} is not open");

    /// <summary>The shard of a key: a 64-bit hash of its bytes, modulo the shard count.</summary>
    public int ShardOf(ReadOnlySpan<byte> key) => _stores.Length == 1 ? 0 : (int)(XxHash3.HashToUInt64(key) % (ulong)_stores.Length);

    public void Set(int shard, ShardStore store) => _stores[shard] = store;

    public IEnumerable<ShardStore> Open => _stores.Where(s => s is not null)!;

    // The calling worker's index when it is one of this server's workers; -1 on any other thread.
    private int CurrentWorker(UringWorker? current) =>
        current is not null && current.Id < _workers.Count && _workers[current.Id] == current ? current.Id : -1;

    /// <summary>
    /// Runs a single-key <paramref name="operation"/> on <paramref name="shard"/>'s worker: at once when called there,
    /// otherwise forwarded with pooled copies of the arguments (no allocation per request).
    /// </summary>
    public ValueTask<Reply> InvokeKeyed(int shard, KeyOperation operation, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long number)
    {
        ShardStore store = this[shard];
        UringWorker? current = UringWorker.Current;
        if (current == store.Worker)
        {
            return operation(store, key, value, number);
        }

        int origin = CurrentWorker(current);
        if (origin < 0)
        {
            var posted = KeyedRequest.Rent(store, operation, key, value, number, replyOutbox: null, origin);
            ValueTask<Reply> postedResult = posted.AsValueTask();
            store.Worker.SynchronizationContext.Post(KeyedRequest.RunPosted, posted);
            return postedResult;
        }

        if (_stores[origin] is ShardStore local)
        {
            local.Statistics.ForwardedOut++;
        }

        var request = KeyedRequest.Rent(store, operation, key, value, number, _outboxes[shard], origin);
        ValueTask<Reply> result = request.AsValueTask();
        _outboxes[origin].Send(shard, request);
        return result;
    }

    /// <summary>
    /// Runs <paramref name="operation"/> on <paramref name="shard"/>'s worker: at once when called there, otherwise
    /// forwarded, with the result coming back to the caller's worker.
    /// </summary>
    public ValueTask<T> InvokeAsync<T>(int shard, Func<ShardStore, ValueTask<T>> operation)
    {
        ShardStore store = this[shard];
        UringWorker? current = UringWorker.Current;
        if (current == store.Worker)
        {
            return operation(store);
        }

        var request = new ForwardedRequest<T>(store, operation);
        int origin = CurrentWorker(current);
        if (origin < 0)
        {
            store.Worker.SynchronizationContext.Post(ForwardedRequest<T>.RunPosted, request);
        }
        else
        {
            // The same way as the keyed requests, to stay in order with them.
            if (_stores[origin] is ShardStore local)
            {
                local.Statistics.ForwardedOut++;
            }

            _outboxes[origin].Send(shard, request);
        }

        return new ValueTask<T>(request.Completion.Task);
    }

    /// <summary>A request forwarded to another shard. Its task's continuation resumes on the caller's worker (the
    /// awaiting code captured that worker's context), which is the reply's way back.</summary>
    private sealed class ForwardedRequest<T>(ShardStore store, Func<ShardStore, ValueTask<T>> operation) : ForwardedWork
    {
        public static readonly SendOrPostCallback RunPosted = static s => ((ForwardedRequest<T>)s!).Run();

        public TaskCompletionSource<T> Completion { get; } = new();

        public override void Run()
        {
            store.Statistics.ForwardedIn++;
            try
            {
                ValueTask<T> result = operation(store);
                if (result.IsCompletedSuccessfully)
                {
                    Completion.TrySetResult(result.Result);
                }
                else
                {
                    _ = CompleteAsync(result);
                }
            }
            catch (Exception e)
            {
                Completion.TrySetException(e);
            }
        }

        private async Task CompleteAsync(ValueTask<T> result)
        {
            try
            {
                Completion.TrySetResult(await result);
            }
            catch (Exception e)
            {
                Completion.TrySetException(e);
            }
        }
    }
}
