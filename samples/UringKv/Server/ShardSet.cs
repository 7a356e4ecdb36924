using System.IO.Hashing;
using UringKv.Protocol;
using UringKv.Storage;
using UringScheduler;

namespace UringKv.Server;

/// <summary>
/// The shards, one per worker (shard i lives on worker i), and the message passing between them: a request for a
/// key of another shard is posted to that shard's worker, runs there, and its result is posted back to the worker
/// that asked (the <c>submit_to</c> of Seastar). Posts between two workers keep their order, so the requests one
/// connection sends to one shard run in the order it sent them.
/// </summary>
internal sealed class ShardSet(int count)
{
    private readonly ShardStore?[] _stores = new ShardStore?[count];

    public int Count => _stores.Length;

    public ShardStore this[int shard] => _stores[shard] ?? throw new InvalidOperationException($"shard {shard} is not open");

    /// <summary>The shard of a key: a 64-bit hash of its bytes, modulo the shard count.</summary>
    public int ShardOf(ReadOnlySpan<byte> key) => _stores.Length == 1 ? 0 : (int)(XxHash3.HashToUInt64(key) % (ulong)_stores.Length);

    public void Set(int shard, ShardStore store) => _stores[shard] = store;

    public IEnumerable<ShardStore> Open => _stores.Where(s => s is not null)!;

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

        if (current is not null && _stores[current.Id] is ShardStore local)
        {
            local.Statistics.ForwardedOut++;
        }

        var request = KeyedRequest.Rent(store, operation, key, value, number);
        ValueTask<Reply> result = request.AsValueTask();
        store.Worker.SynchronizationContext.Post(KeyedRequest.Run, request);
        return result;
    }

    /// <summary>
    /// Runs <paramref name="operation"/> on <paramref name="shard"/>'s worker: at once when called there, otherwise
    /// by posting it, with the result coming back to the caller's worker.
    /// </summary>
    public ValueTask<T> InvokeAsync<T>(int shard, Func<ShardStore, ValueTask<T>> operation)
    {
        ShardStore store = this[shard];
        UringWorker? current = UringWorker.Current;
        if (current == store.Worker)
        {
            return operation(store);
        }

        if (current is not null && _stores[current.Id] is ShardStore local)
        {
            local.Statistics.ForwardedOut++;
        }

        var request = new ForwardedRequest<T>(store, operation);
        store.Worker.SynchronizationContext.Post(ForwardedRequest<T>.Run, request);
        return new ValueTask<T>(request.Task);
    }

    /// <summary>A request posted to another shard. Its task's continuation resumes on the caller's worker (the
    /// awaiting code captured that worker's context), which is the reply's way back.</summary>
    private sealed class ForwardedRequest<T>(ShardStore store, Func<ShardStore, ValueTask<T>> operation) : TaskCompletionSource<T>
    {
        public static readonly SendOrPostCallback Run = static s => ((ForwardedRequest<T>)s!).Execute();

        private void Execute()
        {
            store.Statistics.ForwardedIn++;
            try
            {
                ValueTask<T> result = operation(store);
                if (result.IsCompletedSuccessfully)
                {
                    TrySetResult(result.Result);
                }
                else
                {
                    _ = CompleteAsync(result);
                }
            }
            catch (Exception e)
            {
                TrySetException(e);
            }
        }

        private async Task CompleteAsync(ValueTask<T> result)
        {
            try
            {
                TrySetResult(await result);
            }
            catch (Exception e)
            {
                TrySetException(e);
            }
        }
    }
}
